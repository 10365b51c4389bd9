"""Property tests over the whole pipeline (hypothesis): order invariance, plate-scale
invariance, independence of effect sizes, completeness, valid p/q, byte-identical reruns."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import secretome_rank as sr
from secretome_rank.report import write_outputs

EXAMPLES = 12
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

screens = st.builds(
    lambda seed, n, lines, reps, vehicle: sr.simulate_screen(
        seed,
        n_proteins=n,
        cell_lines=lines,
        drugs=("drugA",),
        n_replicates=reps,
        vehicle_arm=vehicle,
        n_rescuers=4,
        n_mitogens=2,
        n_toxic=2,
    ),
    seed=st.integers(0, 10_000),
    n=st.integers(12, 40),
    lines=st.sampled_from([("L1",), ("L1", "L2")]),
    reps=st.integers(2, 3),
    vehicle=st.booleans(),
)


def _files(result, folder: Path) -> dict[str, bytes]:
    write_outputs(result, folder)
    out = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".tsv"}
    run = json.loads((folder / "run.json").read_text())
    run.pop("created")
    out["run.json"] = json.dumps(run, sort_keys=True).encode()
    return out


@SETTINGS
@given(screen=screens, perm_seed=st.integers(0, 2**31 - 1))
def test_row_order_does_not_change_any_output(screen, perm_seed, tmp_path_factory):
    wells, _ = screen
    shuffled = wells.sample(frac=1.0, random_state=perm_seed).reset_index(drop=True)
    a = _files(sr.rank_screen(wells), tmp_path_factory.mktemp("a"))
    b = _files(sr.rank_screen(shuffled), tmp_path_factory.mktemp("b"))
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


@SETTINGS
@given(screen=screens, factor=st.floats(0.01, 100.0), which=st.integers(0, 1000))
def test_plate_scale_does_not_change_rescue(screen, factor, which):
    wells, _ = screen
    plates = wells["plate"].unique()
    scaled = wells.copy()
    sel = scaled["plate"] == plates[which % len(plates)]
    scaled.loc[sel, "value"] = scaled.loc[sel, "value"] * factor
    a = sr.rank_screen(wells)
    b = sr.rank_screen(scaled)
    np.testing.assert_allclose(a.wells["rescue_pct"], b.wells["rescue_pct"], rtol=1e-9, atol=1e-9)
    key = ["cell_line", "treatment", "protein"]
    ha = a.hits.set_index(key).sort_index()
    hb = b.hits.set_index(key).sort_index()
    np.testing.assert_allclose(ha["rescue_pct"], hb["rescue_pct"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ha["t"], hb["t"], rtol=1e-7, atol=1e-9)


@SETTINGS
@given(screen=screens, value=st.floats(100.0, 1e6))
def test_adding_a_protein_keeps_other_effect_sizes(screen, value):
    wells, _ = screen
    empty = wells[wells["role"] == "empty"].index[:3]
    assert len(empty) == 3
    more = wells.copy()
    more.loc[empty, "role"] = "sample"
    more.loc[empty, "protein"] = "NEWPROTEIN"
    more.loc[empty, "value"] = value
    key = ["cell_line", "treatment", "protein"]
    a = sr.rank_screen(wells).hits.set_index(key).sort_index()
    b = sr.rank_screen(more).hits.set_index(key)
    assert "NEWPROTEIN" in b.index.get_level_values("protein")
    b = b.drop(index="NEWPROTEIN", level="protein").sort_index()
    for col in ("rescue_pct", "log2_fc", "n_replicates"):
        np.testing.assert_allclose(
            a[col].astype(float), b[col].astype(float), rtol=1e-12, equal_nan=True
        )


@SETTINGS
@given(
    screen=screens,
    adjust=st.sampled_from(["bh", "by", "holm", "hommel", "storey"]),
    alternative=st.sampled_from(["greater", "two-sided"]),
)
def test_every_protein_once_per_context_and_valid_pq(screen, adjust, alternative):
    wells, _ = screen
    with warnings.catch_warnings():  # small contexts may have no p-value in the top bin
        warnings.filterwarnings("ignore", "Storey pi0 not estimated", UserWarning)
        hits = sr.rank_screen(wells, adjust=adjust, alternative=alternative).hits
    proteins = set(wells["protein"].dropna())
    for _, ctx in hits.groupby(["cell_line", "treatment"]):
        assert sorted(ctx["protein"]) == sorted(proteins)
    p = hits["p_value"].to_numpy(dtype=float)
    q = hits["q_value"].to_numpy(dtype=float)
    ok = ~np.isnan(p)
    assert np.array_equal(ok, ~np.isnan(q))
    assert ((p[ok] >= 0) & (p[ok] <= 1) & (q[ok] >= 0) & (q[ok] <= 1)).all()
    if adjust != "storey":
        assert (q[ok] >= p[ok] - 1e-12).all()
    else:  # Storey's q = pi0 * BH (as R qvalue) can fall below p when pi0 < 1
        for _, ctx in hits[hits["p_value"].notna()].groupby(["cell_line", "treatment"]):
            bh = sr.adjust_pvalues(ctx["p_value"].to_numpy(), "bh")
            ratio = ctx["q_value"].to_numpy() / bh
            assert np.allclose(ratio, ratio[0]) and 0 < ratio[0] <= 1


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(screen=screens)
def test_same_input_byte_identical(screen, tmp_path_factory):
    wells, _ = screen
    a = _files(sr.rank_screen(wells), tmp_path_factory.mktemp("a"))
    b = _files(sr.rank_screen(wells.copy()), tmp_path_factory.mktemp("b"))
    assert a == b
    assert isinstance(pd.read_csv(__import__("io").BytesIO(a["hits.tsv"]), sep="\t"), pd.DataFrame)
