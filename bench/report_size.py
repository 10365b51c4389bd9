"""Size and build time of the HTML report of the bundled demo screen (issue 6 targets:
< 5 MB, < 10 s).

Usage: ``python bench/report_size.py [OUT_DIR]`` (default: a temporary folder). Runs the
pipeline on ``secretome_rank.examples.example_screen_path()`` (what ``secretome-rank demo``
does), writes the output tables, then times :func:`secretome_rank.html_report.build_report`
(best and median of 3 builds, the first one cold: matplotlib fonts and imports included).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import secretome_rank as sr
from secretome_rank.examples import example_screen_path
from secretome_rank.report import write_outputs

SIZE_TARGET_MB = 5.0
TIME_TARGET_S = 10.0


def main(out: Path) -> int:
    screen = example_screen_path()
    t0 = time.perf_counter()
    result = sr.rank_screen(sr.read_screen(screen))
    write_outputs(result, out, inputs=[screen], command="bench/report_size.py")
    t_rank = time.perf_counter() - t0

    from secretome_rank.html_report import build_report  # cold import counted in build 1

    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        path = build_report(out)
        times.append(time.perf_counter() - t0)
    size_mb = path.stat().st_size / 1e6
    text = path.read_text(encoding="utf-8")
    n_svg, n_png = text.count("<svg"), text.count('<img alt="')
    print(
        f"demo screen: {len(result.wells)} wells, {len(result.qc)} plates, "
        f"{result.hits['protein'].nunique()} proteins; pipeline + TSVs {t_rank:.1f} s"
    )
    print(f"report: {path}")
    print(
        f"size: {size_mb:.2f} MB (target < {SIZE_TARGET_MB:g} MB); "
        f"{n_svg} SVG + {n_png} PNG figures (some SVGs hold rasterised point layers)"
    )
    print(
        f"build time: first (cold) {times[0]:.2f} s, best {min(times):.2f} s, "
        f"median {statistics.median(times):.2f} s (target < {TIME_TARGET_S:g} s)"
    )
    ok = size_mb < SIZE_TARGET_MB and max(times) < TIME_TARGET_S
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main(Path(sys.argv[1])))
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(main(Path(tmp)))
