"""Where the time of `rank` goes: seconds per pipeline stage, in one process.

    python bench/stages.py SCREEN [--out DIR]

Wraps the stage functions that :func:`secretome_rank.pipeline.rank_screen` calls and times
each call; then writes the outputs as `rank` does (without the background wells writer, so
`write_outputs` here includes wells.tsv). Use it with `bench/speed.py` (whole command, fresh
interpreter, peak memory) to see which stage to work on.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T0 = time.perf_counter()

import secretome_rank as sr  # noqa: E402
from secretome_rank import io as sio  # noqa: E402
from secretome_rank import pipeline  # noqa: E402
from secretome_rank.report import write_outputs  # noqa: E402

IMPORT_S = time.perf_counter() - T0
STAGES = (
    "normalize_plates",
    "plate_qc",
    "protein_stats",
    "call_hits",
    "interaction_stats",
    "_complete",
    "classify",
    "_add_pooled",
    "_add_receptors",
    "rank_hits",
    "_rank_receptors",
    "summarize_contexts",
    "rescue_matrix",
)


def timed(owner: Any, name: str, seconds: dict[str, float]) -> None:
    """Replace ``owner.name`` by a wrapper adding its run time to ``seconds[name]``."""
    func: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t

    setattr(owner, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("screen", type=Path)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    seconds: dict[str, float] = {}
    timed(sio, "read_table", seconds)
    timed(sio, "validate_wells", seconds)
    for name in STAGES:
        timed(pipeline, name, seconds)
    t = time.perf_counter()
    wells = sr.read_screen(args.screen)
    seconds["read_screen (total)"] = time.perf_counter() - t
    t = time.perf_counter()
    result = sr.rank_screen(wells)
    seconds["rank_screen (total)"] = time.perf_counter() - t
    out = args.out or Path(tempfile.mkdtemp())
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    write_outputs(result, out)
    seconds["write_outputs"] = time.perf_counter() - t
    n_ctx = len(result.hits[["cell_line", "treatment"]].drop_duplicates())
    print(f"{len(wells):,} wells, {n_ctx} contexts")
    print(f"{'imports':28s} {IMPORT_S:6.2f} s")
    for name, s in seconds.items():
        print(f"{name:28s} {s:6.2f} s")
    print(f"{'total':28s} {time.perf_counter() - T0:6.2f} s")
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
