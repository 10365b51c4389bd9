"""The self-contained HTML report: sections, no external resources, escaping, a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import secretome_rank as sr
from secretome_rank.errors import SchemaError
from secretome_rank.html_report import SECTIONS, build_report
from secretome_rank.progress import Progress, progress_enabled
from secretome_rank.report import write_outputs

HOSTILE = "<script>alert(1)</script>"
AMP = "A&B \"quoted\" 'single' $x$"
PLATE = "<b>P&1</b>"


def _sim_result(hostile: bool):
    wells, truth = sr.simulate_screen(seed=1, n_proteins=80, cell_lines=("A",), drugs=("x",))
    if hostile:
        # give hostile names to the two strongest planted rescuers, so they are hits and labelled
        top = truth.sort_values("true_rescue_pct", ascending=False)["protein"].head(2).tolist()
        wells["protein"] = wells["protein"].replace({top[0]: HOSTILE, top[1]: AMP})
        first = wells["plate"].iloc[0]
        wells["plate"] = wells["plate"].replace({first: PLATE})
    return sr.rank_screen(wells)


@pytest.fixture(scope="module")
def sim_result():
    return _sim_result(False)


@pytest.fixture(scope="module")
def small_report(tmp_path_factory, sim_result):
    out = tmp_path_factory.mktemp("small")
    write_outputs(sim_result, out)
    return build_report(out)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    write_outputs(_sim_result(True), out, inputs=())
    info = json.loads((out / "run.json").read_text())
    info["inputs"] = [{"path": f"/data/{HOSTILE}.csv", "sha256": "0" * 64}]
    info["notes"] = [f"note about {HOSTILE} & co"]
    (out / "run.json").write_text(json.dumps(info))
    return build_report(out)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory, example_result):
    out = tmp_path_factory.mktemp("demo")
    write_outputs(example_result, out)
    return build_report(out)


def _headings(text: str) -> list[tuple[str, str]]:
    return re.findall(r'<section id="([^"]+)"><h2>([^<]+)</h2>', text)


def _external_refs(text: str) -> list[str]:
    """Every reference a browser could fetch: src/href/url()/@import/srcset, <link>, <script>."""
    refs = re.findall(
        r"""(?:\bsrc|\bhref|\bsrcset|\bposter|\bdata|\baction)\s*=\s*["']?([^"'\s>]+)""", text, re.I
    )
    refs += re.findall(r"url\(\s*['\"]?([^)'\"]+)", text, re.I)
    refs += re.findall(r"@import\s+['\"]?([^;'\"]+)", text, re.I)
    bad = [r for r in refs if not (r.startswith("#") or r.startswith("data:image/png;base64,"))]
    bad += re.findall(r"<(?:link|script|iframe|object|embed|base)\b[^>]*>", text, re.I)
    return bad


def test_every_section_present(small_report):
    text = small_report.read_text(encoding="utf-8")
    assert _headings(text) == list(SECTIONS)
    assert text.count("<svg") >= 3 and "data:image/png;base64," in text
    # one context only: the across-context heatmap says so instead of failing
    assert "Only one context" in text
    assert "Drug-specific rescue" in text and 'id="fig-drug_specificity"' in text


def test_self_contained_no_external_resources(small_report, demo_report):
    for path in (small_report, demo_report):
        text = path.read_text(encoding="utf-8")
        assert _external_refs(text) == []
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text, re.I)
        assert "@font-face" not in text


def test_escaping_of_user_text(hostile_report):
    text = hostile_report.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>P&" not in text and "&lt;b&gt;P&amp;1&lt;/b&gt;" in text
    assert "A&amp;B" in text and "A&B" not in text
    # inside matplotlib SVG text (volcano label, waterfall label) the name is escaped text too
    svg_texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", text)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in svg_texts)
    assert any("$x$" in t for t in svg_texts)  # '$' did not switch on mathtext
    # file names and notes from run.json are escaped too
    assert f"/data/{HOSTILE}.csv" not in text and "note about &lt;script&gt;" in text


def test_missing_inputs_say_so_and_plots_dir(tmp_path, sim_result):
    write_outputs(sim_result, tmp_path)
    for name in ("wells.tsv", "qc.tsv", "run.json", "receptors.tsv", "receptor_families.tsv"):
        (tmp_path / name).unlink(missing_ok=True)
    plots = tmp_path / "plots"
    path = build_report(tmp_path, plots_dir=plots)
    text = path.read_text(encoding="utf-8")
    assert _headings(text) == list(SECTIONS)
    for phrase in (
        "run.json not found",
        "qc.tsv not found",
        "wells.tsv not found",
        "receptors.tsv not found",
    ):
        assert phrase in text
    pngs, svgs = sorted(plots.glob("*.png")), sorted(plots.glob("*.svg"))
    assert pngs and [p.stem for p in pngs] == [s.stem for s in svgs]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert all(b"<svg" in s.read_bytes()[:2000] for s in svgs)
    # a second build writes the same figure files (stable SVG ids, no dates)
    again = tmp_path / "plots2"
    build_report(tmp_path, plots_dir=again)
    for f in (*pngs, *svgs):
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name


def test_not_an_output_folder(tmp_path):
    with pytest.raises(SchemaError, match="no hits.tsv"):
        build_report(tmp_path)


def test_progress_silent_outside_a_terminal(capsys):
    assert not progress_enabled(quiet=True)
    assert not progress_enabled()  # pytest captures stderr: not a TTY
    with Progress() as p:
        with p.stage("normalising", total=3) as step:
            for _ in range(3):
                step.advance()
        p.stage("ranking")
    with Progress(enabled=True, quiet=True) as p:
        assert not p.enabled
        p.stage("x").advance()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# --- headless Chromium ------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not on PATH")


def _chromium(
    page: Path, tmp: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run headless Chromium on ``page`` with DNS disabled; return the run and the URLs of every
    network request the page made (from Chromium's NetLog)."""
    netlog = tmp / f"netlog-{len(list(tmp.glob('netlog-*')))}.json"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={tmp / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing can leave the machine
        f"--log-net-log={netlog}",
        *args,
        page.resolve().as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    # requests made for the page carry its (file://) isolation key; the browser's own background
    # requests (component updater, accounts) carry none and are not the page's doing
    page_requests = [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start and "file://" in str(e["params"].get("network_isolation_key", ""))
    ]
    return run, page_requests


@needs_chromium
def test_network_detector_catches_external_resources(tmp_path):
    """Positive control: the NetLog check does see a page's external requests."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html><body><img src="http://example.invalid/x.png">'
        '<link rel="stylesheet" href="https://cdn.example.invalid/a.css"></body></html>'
    )
    run, requests = _chromium(bad, tmp_path, "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(requests) == ["http://example.invalid/x.png", "https://cdn.example.invalid/a.css"]


@needs_chromium
def test_demo_report_in_headless_chromium(demo_report, tmp_path):
    shot = tmp_path / "shot.png"
    run, requests = _chromium(
        demo_report, tmp_path, "--dump-dom", f"--screenshot={shot}", "--window-size=1280,4000"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout  # the DOM after loading and rendering, serialised by the browser
    assert requests == []  # the page made no network request at all, failed or not
    assert "net::ERR" not in run.stderr
    for sid, heading in SECTIONS:
        assert re.search(rf'<section id="{sid}"><h2>{re.escape(heading)}</h2>', dom), sid
    assert dom.count("<svg") >= 5 and dom.count("data:image/png;base64,") >= 2
    assert "<script" not in dom.lower()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


@needs_chromium
def test_hostile_names_stay_text_in_the_browser(hostile_report, tmp_path):
    run, requests = _chromium(hostile_report, tmp_path, "--dump-dom")
    assert run.returncode == 0 and requests == []
    dom = run.stdout
    assert "<script" not in dom.lower()  # no element was created from a protein name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
