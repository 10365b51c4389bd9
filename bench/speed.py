"""Speed and memory of `secretome-rank rank` against pandas.read_csv of the same file.

    python bench/speed.py [--wells 1000000] [--keep DIR]

Simulates a screen of about --wells wells (2 drugs + vehicle, 3 replicates, as many cell
lines as needed), writes it as CSV, then times in fresh subprocesses (1) pandas.read_csv of
the file and (2) the full `secretome-rank rank FILE --out DIR -f tsv`, reporting wall time,
peak resident memory (ru_maxrss of the child) and their ratio.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import secretome_rank as sr

WELLS_PER_LINE = 2 * 384 * 3 * 3  # 2 library plates x 3 arms x 3 replicates


def run(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024  # MB (ru_maxrss is in kB on Linux)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wells", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    n_lines = max(1, round(args.wells / WELLS_PER_LINE))
    tmp = Path(args.keep or tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "screen.csv"
    if not path.exists():
        t0 = time.perf_counter()
        wells, _ = sr.simulate_screen(1, cell_lines=n_lines, drugs=("vemurafenib", "trametinib"))
        wells.to_csv(path, index=False)
        print(
            f"simulated {len(wells):,} wells ({n_lines} cell lines) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
    size = path.stat().st_size / 1e6
    # each in a fresh interpreter; read_csv first
    read_t, read_mem = run(
        [sys.executable, "-c", f"import pandas as pd; pd.read_csv({str(path)!r})"]
    )
    rank_t, rank_mem = run(
        [
            sys.executable,
            "-m",
            "secretome_rank",
            "-q",
            "rank",
            str(path),
            "--out",
            str(tmp / "out"),
            "-f",
            "tsv",
        ]
    )
    print(f"file: {path.name} {size:.0f} MB")
    print(f"pandas.read_csv      : {read_t:6.2f} s  peak {read_mem:7.0f} MB")
    print(f"secretome-rank rank  : {rank_t:6.2f} s  peak {rank_mem:7.0f} MB")
    print(f"ratio rank / read    : {rank_t / read_t:6.2f} x time")


if __name__ == "__main__":
    main()
