"""The self-contained HTML report: sections, no external resources, escaping, a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
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


@pytest.mark.parametrize(
    ("name", "spoil", "said"),
    [
        ("qc.tsv", lambda t: "a\tb\n1\t2\n", "no column(s) plate, verdict"),
        ("hits.tsv", lambda t: "a\tb\n1\t2\n", "no column(s) cell_line, treatment"),
        ("wells.tsv", lambda t: "x\ty\n1\t2\n", "no column(s) plate, value, role"),
        ("qc.tsv", lambda t: t.replace("\tpass\t", "\tok\t"), "'ok' in line"),
        ("hits.tsv", lambda t: t[:3000], "ends in the middle of a line"),
    ],
)
def test_a_spoilt_output_table_is_named(tmp_path, sim_result, name, spoil, said):
    # these gave a KeyError traceback or a report of nonsense with exit 0
    write_outputs(sim_result, tmp_path)
    path = tmp_path / name
    path.write_text(spoil(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(SchemaError, match=re.escape(said)):
        build_report(tmp_path)


def test_q_value_text_is_named(tmp_path, sim_result):
    write_outputs(sim_result, tmp_path)
    hits = pd.read_csv(tmp_path / "hits.tsv", sep="\t", keep_default_na=False)
    hits["q_value"] = "abc"
    hits.to_csv(tmp_path / "hits.tsv", sep="\t", index=False)
    with pytest.raises(SchemaError, match=r"column 'q_value': not a number in line\(s\) 2, 3"):
        build_report(tmp_path)


def test_a_name_that_needs_quoting_survives_the_tables(tmp_path):
    # a cell line called '"q" line' made rescue_matrix.tsv's header unreadable
    wells, _ = sr.simulate_screen(seed=3, n_proteins=30, cell_lines=("A", "B"), drugs=("x",))
    wells["cell_line"] = wells["cell_line"].astype(str).replace({"B": '"q" line'})
    write_outputs(sr.rank_screen(wells), tmp_path)
    matrix = pd.read_csv(tmp_path / "rescue_matrix.tsv", sep="\t")
    assert '"q" line|x' in matrix.columns
    assert "&quot;q&quot; line" in build_report(tmp_path).read_text(encoding="utf-8")


def test_rebuild_is_byte_identical(tmp_path, sim_result):
    write_outputs(sim_result, tmp_path)
    first = build_report(tmp_path).read_bytes()
    assert build_report(tmp_path).read_bytes() == first


# --- large screens: many contexts and plates ----------------------------------------------
@pytest.fixture(scope="module")
def large_folder(tmp_path_factory):
    """14 drug contexts (7 lines x 2 drugs) + 7 vehicle contexts, 63 plates."""
    wells, _ = sr.simulate_screen(
        seed=2,
        n_proteins=40,
        cell_lines=7,
        drugs=("x", "y"),
        n_rescuers=6,
        n_mitogens=3,
        n_toxic=2,
    )
    out = tmp_path_factory.mktemp("large")
    write_outputs(sr.rank_screen(wells), out)
    return out


def test_large_screen_plots_few_contexts_and_says_so(large_folder, monkeypatch):
    from secretome_rank.html_report import markup
    from secretome_rank.plots import hits as plot_hits

    monkeypatch.setattr(plot_hits, "MAX_MATRIX_LABELS", 5)  # 14 columns: label every 3rd
    text = build_report(large_folder).read_text(encoding="utf-8")
    assert _headings(text) == list(SECTIONS)
    n = markup.MAX_CONTEXT_PLOTS
    assert text.count('id="fig-volcano_') == n and text.count('id="fig-waterfall_') == n
    assert f"14 contexts: plots show the {n} with most hits" in text
    assert f"21 contexts have two or more replicates: the panels show the first {n}" in text
    assert "<details><summary>Replicate agreement of 21 contexts</summary><ul><li>" in text
    assert "14 contexts: one column in 3 is labelled" in text
    assert 'id="fig-plates_mosaic"' in text and text.count('id="fig-plate_') == 6
    # plate heatmaps are SVG with the plate's pixels embedded, drawn sharp (no resampling)
    assert "image-rendering:pixelated" in text
    assert _external_refs(text) == []
    # deterministic
    assert build_report(large_folder).read_text(encoding="utf-8") == text


def test_capped_hit_table_keeps_every_context(large_folder, monkeypatch):
    from secretome_rank.html_report import sections_hits

    hits = pd.read_csv(large_folder / "hits.tsv", sep="\t")
    hit = hits[hits["is_hit"]]
    per_ctx = hit.groupby(["cell_line", "treatment"]).size()
    assert len(per_ctx) >= 5 and per_ctx.max() > 2
    cap = 2 * len(per_ctx)  # room for the 2 best of each context
    monkeypatch.setattr(sections_hits, "MAX_TABLE_ROWS", cap)
    html = sections_hits._hit_table({"hits": hits})
    table = html.split('<table class="hits">')[1].split("</table>")[0]
    rows = table.count("<tr>") - 1  # minus the header row
    assert rows == int(per_ctx.clip(upper=2).sum()) <= cap
    best = hit.sort_values("rank").groupby(["cell_line", "treatment"]).head(1)
    for protein in best["protein"]:  # the best hit of every context is in the table
        assert f"<td>{protein}</td>" in table
    assert f"{len(hit)} hits in {len(per_ctx)} contexts: the table shows the 2 best-ranked" in html


def test_report_tables_read_alike_with_pyarrow_and_pandas(large_folder):
    pytest.importorskip("pyarrow")
    from secretome_rank.html_report import load

    for path in sorted(large_folder.glob("*.tsv")):
        cols = path.read_text(encoding="utf-8").split("\n", 1)[0].split("\t")
        fast = load._read_tsv_arrow(path, cols)
        assert fast is not None, path.name
        pd.testing.assert_frame_equal(fast, load._read_tsv_pandas(path, cols), check_exact=False)


def test_pyarrow_reader_keeps_the_na_rules(tmp_path):
    pytest.importorskip("pyarrow")
    from secretome_rank.html_report import load

    path = tmp_path / "t.tsv"
    path.write_text(
        "plate\tprotein\trole\tvalue\tis_hit\tnote\tempty\n"
        "P1\tNA\tdrug_control\t1.5\ttrue\tNA\tNA\n"
        "P1\tIL6\tNA\tNA\tNA\tnan\t\n"
        "P1\t\tsample\t2\tfalse\tok\tNA\n",
        encoding="utf-8",
    )
    cols = ["plate", "protein", "role", "value", "is_hit", "note", "empty"]
    fast = load._read_tsv_arrow(path, cols)
    slow = load._read_tsv_pandas(path, cols)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["protein"].iloc[0] == "NA" and pd.isna(fast["protein"].iloc[2])  # identifier
    assert pd.isna(fast["role"].iloc[1]) and fast["note"].isna().sum() == 2
    assert fast["empty"].isna().all() and fast["empty"].dtype == float
    # anything pyarrow would type differently (dates) or cannot read goes to pandas
    path.write_text("plate\tday\nP1\t2024-01-02\n", encoding="utf-8")
    assert load._read_tsv_arrow(path, ["plate", "day"]) is None
    path.write_text("plate\tvalue\nP1\t1\nP2\t1\t2\n", encoding="utf-8")
    assert load._read_tsv_arrow(path, ["plate", "value"]) is None
    pd.testing.assert_frame_equal(
        load._read_tsv(path), load._read_tsv_pandas(path, ["plate", "value"])
    )


# --- vectorised kernels against per-group oracles ------------------------------------------
def test_group_percentiles_match_numpy():
    from secretome_rank.plots.qc import _group_percentiles

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 6, 400)
    values = rng.normal(size=400)
    values[rng.random(400) < 0.1] = np.nan
    codes[codes == 4] = 5  # group 4 empty
    got = _group_percentiles(codes, values, 7, (2, 50, 98))
    for g in range(7):
        v = values[(codes == g) & np.isfinite(values)]
        want = np.percentile(v, (2, 50, 98)) if len(v) else np.full(3, np.nan)
        np.testing.assert_allclose(got[g], want, rtol=1e-12, equal_nan=True)


def test_pairwise_r_matches_pandas_corr():
    from secretome_rank.plots.qc import _pairwise_r

    rng = np.random.default_rng(1)
    group = np.repeat(np.arange(5), 40)
    x = rng.normal(size=200)
    y = x + rng.normal(size=200)
    y[group == 3] = 1.0  # no variance -> NaN
    x[(group == 4)][2:] = np.nan
    x[np.flatnonzero(group == 4)[2:]] = np.nan  # 2 pairs only -> NaN
    got = _pairwise_r(group, x, y, 5)
    for g in range(5):
        m = group == g
        want = pd.DataFrame({"x": x[m], "y": y[m]}).corr(min_periods=3).iloc[0, 1]
        np.testing.assert_allclose(got[g], want, rtol=1e-12, equal_nan=True)


def test_replicate_lines_match_per_context_pivots(sim_result):
    from secretome_rank.plots import qc as plot_qc

    wells = sim_result.wells.copy()
    wells["test_value"] = wells["test_value"].astype(float)
    rng = np.random.default_rng(3)
    wells.loc[rng.random(len(wells)) < 0.05, "test_value"] = np.nan
    one = wells["treatment"] == "DMSO"  # vehicle arm: keep one replicate only
    wells = wells[~one | (wells["replicate"] == wells["replicate"].min())]
    fig, lines = plot_qc.replicate_scatter(wells)
    want = []  # the former per-context loop, as the oracle
    s = wells[wells["role"] == "sample"]
    for (line, drug), g in s.groupby(["cell_line", "treatment"], sort=True, observed=True):
        wide = g.pivot_table(index="protein", columns="replicate", values="test_value")
        if wide.shape[1] < 2:
            want.append(f"{line} + {drug}: {wide.shape[1]} replicate(s), no scatter")
            continue
        corr = wide.corr(min_periods=3).to_numpy()
        r = np.nanmean(corr[np.triu_indices_from(corr, k=1)])
        want.append(
            f"{line} + {drug}: {wide.shape[1]} replicates, {len(wide)} proteins, "
            f"mean pairwise Pearson r = {r:.3f}"
        )
    assert lines == want and fig is not None


def test_plate_mosaic_matches_per_plate_drawing(example_result):
    import matplotlib as mpl

    from secretome_rank.plots import qc as plot_qc

    wells = example_result.wells
    plates = list(dict.fromkeys(wells["plate"]))[:8]
    img = plot_qc.plate_mosaic(wells, plates, ncols=3).axes[0].images[0].get_array()
    head, gap = 3, 2
    for i, p in enumerate(plates):  # the old per-plate computation
        g = wells[wells["plate"] == p]
        col, _ = plot_qc.normalised_column(g)
        grid = plot_qc._grid(g, col)
        lo, hi = plot_qc._range(g, col, (2, 98))
        want = mpl.colormaps["cividis"](np.clip((grid - lo) / (hi - lo), 0, 1), bytes=True)
        want[~np.isfinite(grid)] = np.round(np.array(mpl.colors.to_rgba("#d9d9d9")) * 255)
        r0, c0 = (i // 3) * (grid.shape[0] + gap + head) + head, (i % 3) * (grid.shape[1] + gap)
        tile = np.asarray(img[r0 : r0 + grid.shape[0], c0 : c0 + grid.shape[1]])
        assert np.abs(tile.astype(int) - want.astype(int)).max() <= 1, p


def test_svg_scale_changes_only_the_shown_size():
    from matplotlib.figure import Figure

    from secretome_rank.plots import to_svg

    fig = Figure(figsize=(4, 2))
    fig.add_subplot().plot([0, 1])
    plain, big = to_svg(fig, salt="s"), to_svg(fig, salt="s", scale=1.5)
    assert 'width="288pt" height="144pt"' in plain and 'width="432pt" height="216pt"' in big
    assert plain.split(">", 1)[1] == big.split(">", 1)[1]


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
