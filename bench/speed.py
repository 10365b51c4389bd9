"""Speed and memory of `secretome-rank rank`, and how they scale.

    python bench/speed.py [--wells 1000000] [--keep DIR] [--repeat 3]  # CSV vs pandas.read_csv
    python bench/speed.py --scaling [--sizes 0.5,1,2,5]       # Parquet, millions of wells

Screens are simulated (2 drugs + a vehicle arm, 3 replicates, ~490 proteins, as many cell
lines as needed: 1M wells ~ 145 lines x 2 drugs = 290 contexts; 5M ~ 1,450 contexts).
Every command runs in a fresh interpreter; wall time and peak resident memory (ru_maxrss of
that child) are reported. The commands take turns, --repeat rounds of each; a ratio to the
read is the median of the ratios within a round, so the host's drift cancels. `rank` runs
as a user would run it (`-q`, default summary table on stdout, report.html included) and,
for comparison, with --no-report. A floor is measured
too: rank's imports, the read, and a wells.tsv of the same shape written by rank's writer,
with no validation or statistics: a lower bound for this design in Python. Each command
first runs once unmeasured (it fills the page cache, and the bytecode cache, which children
keep as an installed package does even where PYTHONDONTWRITEBYTECODE is set).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import secretome_rank as sr

WELLS_PER_LINE = 2 * 384 * 3 * 3  # 2 library plates x 3 arms x 3 replicates


#: children keep compiled bytecode (in a cache folder of their own) even where the machine
#: sets PYTHONDONTWRITEBYTECODE, as an installed package has it: only the first run compiles
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "secretome_rank_bench_pyc")


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one command in a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=CHILD_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


#: the floor of a run: rank's imports, reading the CSV, writing a wells.tsv of the same shape
FLOOR = """from secretome_rank.cli import _tune_process
_tune_process()  # the process settings of a command (cli.entry_point)
{imports}
import numpy as np, pandas as pd
from secretome_rank.writers import write_table
w = pd.read_csv({path!r})
x = np.log2(w["value"].to_numpy()) - 16.0
w["rescue_pct"], w["log2_ratio"], w["growth_log2"], w["test_value"] = 100 * x, x, np.nan, x
w["flags"] = ""
write_table(w, {out!r})
"""


def make_screen(n_wells: int, path: Path) -> int:
    if path.exists():
        return -1
    n_lines = max(1, round(n_wells / WELLS_PER_LINE))
    t0 = time.perf_counter()
    wells, _ = sr.simulate_screen(1, cell_lines=n_lines, drugs=("vemurafenib", "trametinib"))
    if path.suffix == ".parquet":
        wells.to_parquet(path, index=False)
    else:
        wells.to_csv(path, index=False)
    print(
        f"simulated {len(wells):,} wells ({n_lines} cell lines) in {time.perf_counter() - t0:.0f} s"
    )
    return len(wells)


def rank(path: Path, out: Path, *extra: str) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "secretome_rank",
        "-q",
        "rank",
        str(path),
        "--out",
        str(out),
        *extra,
    ]
    return run(cmd)


def compare_read(args: argparse.Namespace, tmp: Path) -> None:
    path = tmp / "screen.csv"
    make_screen(args.wells, path)
    size = path.stat().st_size / 1e6
    # the floor every run of the command pays before reading a byte: interpreter + imports
    imports = "import secretome_rank.cli, secretome_rank.pipeline, scipy.special, pyarrow.csv"
    # typer >= 0.2x imports pydantic (typer._adapters) while it parses the command line
    if importlib.util.find_spec("typer._adapters") is not None:
        imports += ", typer._adapters"
    floor = FLOOR.format(imports=imports, path=str(path), out=str(tmp / "floor.tsv"))
    commands: dict[str, Callable[[], tuple[float, float]]] = {
        "read": lambda: run(
            [sys.executable, "-c", f"import pandas as pd; pd.read_csv({str(path)!r})"]
        ),
        "imports": lambda: run([sys.executable, "-c", imports]),
        # what rank cannot avoid whatever its statistics cost: the imports above, the read,
        # and wells.tsv (the input plus four derived float columns, DESIGN section 3)
        "floor": lambda: run([sys.executable, "-c", floor]),
        "rank": lambda: rank(path, tmp / "out"),
        "bare": lambda: rank(path, tmp / "out", "--no-report"),
    }
    for measure in commands.values():
        measure()  # fills the bytecode cache and the page cache
    # rounds interleave the commands, so a host that slows down or speeds up during the
    # bench moves the read and the rank of a round together; ratios are taken per round
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, measure in commands.items():
            runs[name].append(measure())

    def time_of(name: str) -> float:
        return float(np.median([r[0] for r in runs[name]]))

    def ratio(name: str) -> float:
        return float(
            np.median([r[0] / q[0] for r, q in zip(runs[name], runs["read"], strict=True)])
        )

    def memory(name: str) -> float:
        return max(r[1] for r in runs[name])

    print(f"file: {path.name} {size:.0f} MB; {args.repeat} interleaved round(s), medians")
    print(f"pandas.read_csv             : {time_of('read'):6.2f} s  peak {memory('read'):6.0f} MB")
    for name, label in (
        ("imports", "interpreter + rank's imports"),
        ("floor", "imports + read + wells.tsv  "),
    ):
        print(f"{label}: {time_of(name):6.2f} s  ({ratio(name):.1f}x read)")
    for name, label in (("rank", "rank (default)"), ("bare", "rank --no-report")):
        print(
            f"secretome-rank {label:16s}: {time_of(name):6.2f} s  peak {memory(name):6.0f} MB"
            f"  ({ratio(name):.1f}x read)"
        )


def scaling(args: argparse.Namespace, tmp: Path) -> None:
    sizes = [float(s) for s in args.sizes.split(",")]
    rows = []
    for millions in sizes:
        path = tmp / f"screen_{millions:g}M.parquet"
        make_screen(int(millions * 1e6), path)
        t, mem = rank(path, tmp / "out", "--no-report")
        rows.append((millions, t, mem))
        print(f"{millions:4g}M wells: {t:6.1f} s  peak {mem:6.0f} MB", flush=True)
    if len(rows) >= 2:
        x = np.log([r[0] for r in rows])
        y = np.log([r[1] for r in rows])
        print(f"scaling exponent (log time vs log wells): {np.polyfit(x, y, 1)[0]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wells", type=int, default=1_000_000)
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--sizes", default="0.5,1,2,5")
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs per command (median reported)")
    args = ap.parse_args()
    tmp = Path(args.keep or tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    if args.scaling:
        scaling(args, tmp)
    else:
        compare_read(args, tmp)


if __name__ == "__main__":
    main()
