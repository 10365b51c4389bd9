"""Build time of report.html for an existing output folder, in total and per section.

    python bench/report_speed.py DIR [--repeat 3] [--sections] [--cli]

DIR is a folder written by ``secretome-rank rank SCREEN --out DIR`` (a 1M-well one:
``python bench/speed.py --scaling --sizes 1 --keep /tmp/scale`` makes the screen, then
``python -m secretome_rank -q rank /tmp/scale/screen_1M.parquet --out DIR --no-report``).

Default: ``build_report(DIR)`` is timed in this interpreter ``--repeat`` times (the first
build includes the first use of matplotlib and pyarrow); best and median are printed with the
file size. ``--cli`` times ``python -m secretome_rank report DIR`` in fresh interpreters (what a
user waits for, imports included). ``--sections`` prints one build split into reading the
tables and each section, each split into drawing (building the matplotlib figure) and
rendering (SVG/PNG); machine load from other processes shows up as noise, so compare best times.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _cli(out: Path, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "secretome_rank", "-q", "report", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - t0)
    return times


def _sections(out: Path) -> None:
    from secretome_rank.html_report import markup, page
    from secretome_rank.html_report.load import _load
    from secretome_rank.progress import Progress

    render = [0.0]
    call = markup._Figures.__call__

    def timed(self: Any, *args: Any, **kwargs: Any) -> str:
        t0 = time.perf_counter()
        html = call(self, *args, **kwargs)
        render[0] += time.perf_counter() - t0
        return html

    markup._Figures.__call__ = timed  # type: ignore[method-assign]
    t0 = time.perf_counter()
    d = _load(out)
    print(f"{'reading tables':28s} {time.perf_counter() - t0:6.2f} s")
    figs, prog = markup._Figures(None), Progress(enabled=False)
    builders = {
        "run-summary": lambda: page._run_summary(d, out),
        "plate-qc": lambda: page._plate_qc(d, figs, prog),
        "replicates": lambda: page._replicates(d, figs),
        "contexts": lambda: page._per_context(d, figs, prog),
        "hit-table": lambda: page._hit_table(d),
        "receptors": lambda: page._receptors(d),
        "across-contexts": lambda: page._across(d, figs),
        "drug-specificity": lambda: page._specificity(d, figs),
    }
    for sid, build in builders.items():
        render[0] = 0.0
        t0 = time.perf_counter()
        body = build()
        total = time.perf_counter() - t0
        print(
            f"{sid:28s} {total:6.2f} s (draw + tables {total - render[0]:5.2f}, "
            f"render {render[0]:5.2f}); {len(body) / 1e6:5.2f} MB"
        )
    markup._Figures.__call__ = call  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output folder of `secretome-rank rank`")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sections", action="store_true", help="time each section once")
    parser.add_argument("--cli", action="store_true", help="time the CLI in fresh interpreters")
    args = parser.parse_args()
    if not (args.out / "hits.tsv").is_file():
        parser.error(f"{args.out}: no hits.tsv (not an output folder of `secretome-rank rank`)")
    if args.cli:
        times = _cli(args.out, args.repeat)
        label = "secretome-rank report (fresh interpreter)"
    else:
        from secretome_rank.html_report import build_report

        times, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            build_report(args.out)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        label = f"build_report (CPU best {min(cpu):.2f} s)"
    size = (args.out / "report.html").stat().st_size / 1e6
    print(
        f"{label}: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
        f"({args.repeat} runs); report.html {size:.2f} MB"
    )
    if args.sections:
        _sections(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
