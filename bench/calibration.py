"""FDR and null p-value calibration of hit calls away from the default simulated screen.

    python bench/calibration.py [--seeds 5] [--quick] [--only NAME ...] [--per-seed]
                                [--markdown] [--positions]

Runs ``secretome_rank.rank_screen`` with its defaults (moderated t on library-centred log2
ratios, BH within each context, hit = q <= 0.05 and rescue_pct >= 20) on screens from
``simulate_screen`` under 42 scenarios (the default; 2 and 4 replicates; 10-30 %
rescuers; strong edge loss, gradients and plate scales; more noise, outliers and missing
wells; more mitogens and toxic proteins; and artefacts the simulator does not model, added
to its wells here; see ``SCENARIOS``), seeds 100, 101, ... for every scenario. ``--quick``:
2 seeds. The full run takes about 70 s on one core (``--quick`` about 30 s).

Truth per drug context x protein (``truth`` of ``simulate_screen``): a protein truly
rescues when its expected rescue ``true_rescue_pct`` is >= 20 % (rescuers and strong
mitogens); it is null when ``true_rescue_pct <= 0`` (inactive and toxic proteins, rescuers
inactive in that line or drug); it is an *exact* null when ``true_rescue_pct == 0`` (the
one-sided p-value of an exact null is uniform if the test is calibrated). Printed per
scenario and method, means over seeds:

- ``calls``: hit calls (``is_hit``) over all drug contexts;
- ``fdr``: empirical FDR, calls whose truth is null / calls (0 without calls);
  ``fdr_max``: its largest value over seeds;
- ``fdr_q``: the same for calls by q alone (``q_value <= 0.05`` and ``t > 0``, no
  minimum rescue): what BH itself controls;
- ``lt20``: fraction of calls whose true rescue is below 20 % (nulls and weak effects);
- ``recall``: true rescuers (>= 20 %) called / true rescuers;
- ``tested``: fraction of protein x context rows with a p-value;
- ``p05``, ``p01``: fraction of exact nulls with ``p_value`` below 0.05, 0.01;
  ``ks``: Kolmogorov-Smirnov distance of their p-values from the uniform;
- ``shift``: median over exact nulls of the protein's mean ``test_value`` (log2; 0 when the
  library centring is right, > 0 makes the one-sided test anti-conservative);
- ``null_resc``: mean ``rescue_pct`` of exact nulls (0 when unbiased);
- ``resc_bias``: mean ``rescue_pct - true_rescue_pct`` of true rescuers.

``--positions`` adds, per scenario, the false calls per seed, those in the outer two rows or
columns of the sample area (40 % of the library; one layout on every plate), and the
fraction of exact nulls with p < 0.01 there and inside.

Methods: ``current`` is ``rank_screen`` as shipped (with the scenario's options, e.g.
``spatial="bscore"``). Scenarios with ``alternatives`` also run, on the same normalised
wells (``result.wells``), options and prototypes through ``protein_stats`` and
``call_hits``:

- ``centre inactive``: the shipped option ``centre="inactive"`` (``--centre inactive``,
  ``secretome_rank.centring``) on the same wells: each drug-arm plate's ``test_value`` is
  re-centred on the median log2 ratio of the sample wells of proteins that a moderated,
  two-sided pass finds not significant in either direction (BH q > 0.05 in their
  context); two passes. The plain median assumes inactive proteins are the majority *and*
  the active ones are balanced around them; this drops the clearly active ones first
  (a prototype here until it shipped; the numbers are the same);
- ``centre inactive + bulk rescue``: as above, and ``rescue_pct = 100 (x / 2^c - D) /
  (V - D)`` with ``c`` the plate's new centre (log2 ratio of the library bulk to the drug
  controls): the library bulk is 0 % rescue, the controls only set the scale. Removes the
  bias from controls that lose signal at the plate edge together (a prototype: DESIGN 2.2
  defines ``rescue_pct`` by the controls);
- ``mask outlier wells``: a well whose ``test_value`` is more than 5 plate MADs from the
  median of its protein's wells in the context (proteins with >= 3 wells) is left out;
- ``robust prior``: not a prototype but the shipped option ``robust=True`` (``--robust``,
  limma's ``eBayes(robust = TRUE)``) on the same wells.

Artefacts added to the simulated wells (the simulator has no knob for them; ``value`` is
changed, expectations in ``truth`` are not):

- ``shared tilt``: every plate multiplied by the same diagonal tilt ``exp(a/2 ((col -
  12.5)/23 + (row - 8.5)/15))`` (a stacker or reader pattern repeated on every plate; the
  library layout is the same on every plate, as in most screens);
- ``protein noise``: each protein's sample wells get extra log-normal noise with its own SD
  ``0.06 exp(N(0, 0.7))`` (unequal variances across the library);
- ``additive noise``: ``N(0, a V)`` added to every well, V the plate's vehicle-control
  median (background noise: larger relative noise at low signal, i.e. under drug);
- ``bad plate``: the first replicate's first library plate of every arm gets extra
  log-normal noise (SD 0.3);
- ``quadrant``: on that plate, rows A-H x columns 1-12 read 40 % high (a seeding or
  dispensing fault).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import secretome_rank as sr
from secretome_rank.centring import centre_on_inactive
from secretome_rank.hits import call_hits, protein_stats

KEY = ["cell_line", "treatment", "protein"]
Perturb = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]


# --- artefacts the simulator lacks ------------------------------------------------------
def _rows_cols(wells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    well = wells["well"].astype(str)
    row = well.str[0].map(ord).to_numpy() - ord("A") + 1
    col = well.str[1:].astype(int).to_numpy()
    return row, col


def shared_tilt(amplitude: float) -> Perturb:
    def apply(wells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        row, col = _rows_cols(wells)
        tilt = np.exp(amplitude / 2 * ((col - 12.5) / 23 + (row - 8.5) / 15))
        return wells.assign(value=wells["value"] * tilt)

    return apply


def protein_noise(sd_log: float) -> Perturb:
    def apply(wells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        proteins = pd.Index(wells["protein"].dropna().unique())
        sigma = pd.Series(0.06 * np.exp(rng.normal(0, sd_log, len(proteins))), index=proteins)
        s = wells["protein"].map(sigma).fillna(0.0).to_numpy()
        return wells.assign(value=wells["value"] * np.exp(rng.normal(0, 1, len(wells)) * s))

    return apply


def additive_noise(fraction: float) -> Perturb:
    def apply(wells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        vehicle = wells[wells["role"] == "vehicle_control"].groupby("plate")["value"].median()
        level = wells["plate"].map(vehicle).to_numpy(dtype=float)
        noisy = wells["value"] + rng.normal(0, 1, len(wells)) * fraction * level
        return wells.assign(value=noisy.clip(lower=0.0))

    return apply


def _bad_plates(wells: pd.DataFrame) -> np.ndarray:
    return np.asarray(wells["plate"].astype(str).str.endswith("_R1_L1").to_numpy())


def bad_plate(noise: float) -> Perturb:
    def apply(wells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        extra = np.where(_bad_plates(wells), rng.normal(0, noise, len(wells)), 0.0)
        return wells.assign(value=wells["value"] * np.exp(extra))

    return apply


def quadrant(factor: float) -> Perturb:
    def apply(wells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        row, col = _rows_cols(wells)
        hit = _bad_plates(wells) & (row <= 8) & (col <= 12)
        return wells.assign(value=wells["value"] * np.where(hit, factor, 1.0))

    return apply


# --- scenarios -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """A simulated setting: simulate_screen keywords, an artefact, rank_screen keywords."""

    name: str
    sim: dict[str, Any] = field(default_factory=dict)
    perturb: Perturb | None = None
    rank: dict[str, Any] = field(default_factory=dict)
    alternatives: tuple[str, ...] = ()


#: prototypes (see the module docstring)
CENTRE = ("centre inactive", "centre inactive + bulk rescue")
MASK = ("mask outlier wells",)
#: the shipped option ``robust=True`` (limma's robust prior) on the same normalised wells
ROBUST = ("robust prior",)
# rescuer, mitogen and toxic counts are percentages of the bundled library (491 proteins)
SCENARIOS = [
    Scenario("default", alternatives=CENTRE + MASK + ROBUST),
    Scenario("default, bscore", rank={"spatial": "bscore"}),
    # 2. replicates
    Scenario("2 replicates", {"n_replicates": 2}, alternatives=ROBUST),
    Scenario("4 replicates", {"n_replicates": 4}),
    # 3. high hit rate
    Scenario("10% rescuers", {"n_rescuers": 49}, alternatives=CENTRE),
    Scenario("20% rescuers", {"n_rescuers": 98}, alternatives=CENTRE),
    Scenario("30% rescuers", {"n_rescuers": 147}, alternatives=CENTRE),
    # 4. spatial and plate effects
    Scenario("edge loss 0.4", {"edge_loss": 0.4}, alternatives=CENTRE),
    Scenario("edge loss 0.7", {"edge_loss": 0.7}, alternatives=CENTRE),
    Scenario("edge loss 0.7, bscore", {"edge_loss": 0.7}, rank={"spatial": "bscore"}),
    Scenario("gradient 0.5", {"gradient": 0.5}, alternatives=MASK),
    Scenario("gradient 1.0", {"gradient": 1.0}),
    Scenario("gradient 1.0, bscore", {"gradient": 1.0}, rank={"spatial": "bscore"}),
    Scenario("plate scale sd 1.5", {"plate_scale_sd": 1.5}),
    # 5. noise, outliers, missing wells
    Scenario("noise 0.15", {"noise_sd": 0.15}),
    Scenario("noise 0.3", {"noise_sd": 0.3}, alternatives=MASK + ROBUST),
    Scenario("outliers 3%", {"outlier_rate": 0.03}, alternatives=MASK + ROBUST),
    Scenario("outliers 10%", {"outlier_rate": 0.10}, alternatives=MASK + ROBUST),
    Scenario("outliers 10%, robust", {"outlier_rate": 0.10}, rank={"robust": True}),
    Scenario("missing 10%", {"missing_rate": 0.10}),
    Scenario("missing 30%", {"missing_rate": 0.30}),
    # 6. mitogens and toxic proteins
    Scenario("10% mitogens", {"n_mitogens": 49}, alternatives=CENTRE),
    Scenario("20% mitogens", {"n_mitogens": 98}, alternatives=CENTRE),
    Scenario("10% toxic", {"n_toxic": 49}, alternatives=CENTRE),
    Scenario("20% toxic", {"n_toxic": 98}, alternatives=CENTRE),
    Scenario("20% toxic, centre inactive", {"n_toxic": 98}, rank={"centre": "inactive"}),
    Scenario("30% toxic", {"n_toxic": 147}, alternatives=CENTRE),
    Scenario("30% toxic, centre inactive", {"n_toxic": 147}, rank={"centre": "inactive"}),
    Scenario("10% mitogens + 10% toxic", {"n_mitogens": 49, "n_toxic": 49}, alternatives=CENTRE),
    # 7. what real screens have beyond the default
    Scenario("shared tilt 0.3", perturb=shared_tilt(0.3)),
    Scenario("shared tilt 0.6", perturb=shared_tilt(0.6)),
    Scenario("shared tilt 0.6, bscore", perturb=shared_tilt(0.6), rank={"spatial": "bscore"}),
    Scenario("protein noise", perturb=protein_noise(0.7), alternatives=ROBUST),
    Scenario("additive noise 3%", perturb=additive_noise(0.03)),
    Scenario("bad plate (noise)", perturb=bad_plate(0.3), alternatives=ROBUST),
    Scenario("bad plate (quadrant +40%)", perturb=quadrant(1.4)),
    Scenario("drug window 0.5", {"drug_survival": 0.5}, alternatives=CENTRE),
    Scenario(
        "drug window 0.5 + 20% toxic", {"drug_survival": 0.5, "n_toxic": 98}, alternatives=CENTRE
    ),
    Scenario("2 replicates + 20% toxic", {"n_replicates": 2, "n_toxic": 98}, alternatives=CENTRE),
    Scenario("noise 0.2 + 30% toxic", {"noise_sd": 0.2, "n_toxic": 147}, alternatives=CENTRE),
    # one replicate: no within-protein variance; robust z is the tool's suggested alternative
    Scenario("1 replicate", {"n_replicates": 1}),
    Scenario("1 replicate, robust_z", {"n_replicates": 1}, rank={"test": "robust_z"}),
]


# --- prototypes ------------------------------------------------------------------------
def two_pass_centre(scored: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The shipped ``centre="inactive"`` (``centring.centre_on_inactive``) on the same wells.

    Returns the wells and each plate's absolute centre (log2 ratio of the new centre to the
    drug controls), as :func:`bulk_rescue` needs it.
    """
    recentred, moved = centre_on_inactive(scored)
    drug = (scored["role"] == "sample").to_numpy() & (scored["arm"] == "drug").to_numpy()
    start = (scored["log2_ratio"] - scored["test_value"])[drug]
    centre = start.groupby(scored["plate"].astype(str).to_numpy()[drug]).first()
    moved.index = moved.index.astype(str)
    return recentred, centre + moved.reindex(centre.index).fillna(0.0)


def bulk_rescue(scored: pd.DataFrame, plates: pd.DataFrame, centre: pd.Series) -> pd.DataFrame:
    """rescue_pct with the plate's library bulk (log2 centre c vs drug controls) as 0 %."""
    p = plates.assign(plate=plates["plate"].astype(str)).set_index("plate")
    plate = scored["plate"].astype(str)
    d = plate.map(p["drug_median"]).to_numpy(dtype=float)
    v = plate.map(p["vehicle_median"]).to_numpy(dtype=float)
    f = np.exp2(plate.map(centre).to_numpy(dtype=float))
    x = scored["value"].to_numpy(dtype=float)
    drug = (scored["arm"] == "drug").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rescue = np.where(drug, 100 * (x / f - d) / (v - d), np.nan)
    return scored.assign(rescue_pct=rescue)


def mask_outlier_wells(scored: pd.DataFrame, k: float = 5.0) -> pd.DataFrame:
    """Drop wells more than k plate-MADs from the median of their protein's wells (n >= 3)."""
    tv = scored["test_value"]
    ok = (scored["role"] == "sample").to_numpy() & tv.notna().to_numpy()
    y = tv.where(ok)
    by_protein = y.groupby([scored[c].astype(str) for c in KEY])
    med, n = by_protein.transform("median"), by_protein.transform("count")
    plate = scored["plate"].astype(str)
    dev = (y - y.groupby(plate).transform("median")).abs()
    mad = 1.4826 * dev.groupby(plate).transform("median")
    out = ok & (n >= 3).to_numpy() & ((y - med).abs() > k * mad).to_numpy()
    return scored.assign(
        test_value=tv.where(~out),
        log2_ratio=scored["log2_ratio"].where(~out),
        rescue_pct=scored["rescue_pct"].where(~out),
    )


# --- scoring ---------------------------------------------------------------------------
def _outer_positions(scored: pd.DataFrame) -> pd.DataFrame:
    """Whether each protein sits in the outer two rows or columns of the sample area.

    The simulated library has one layout for every plate (sample columns 3-22), so a
    protein's position is that of its first drug-arm well.
    """
    s = scored[(scored["role"] == "sample") & (scored["arm"] == "drug")]
    first = s.groupby(KEY, observed=True)["well"].first().reset_index()
    well = first["well"].astype(str)
    row, col = well.str[0], well.str[1:].astype(int)
    first["outer"] = row.isin(list("ABOP")) | col.isin([3, 4, 21, 22])
    return first.drop(columns="well").astype(dict.fromkeys(KEY, object))


def _below(p: np.ndarray, level: float) -> float:
    """Fraction of the finite p-values below ``level`` (NaN without any)."""
    p = p[np.isfinite(p)]
    return float(np.mean(p < level)) if p.size else np.nan


def evaluate(hits: pd.DataFrame, truth: pd.DataFrame, scored: pd.DataFrame) -> dict[str, float]:
    m = truth.merge(
        hits[[*KEY, "is_hit", "p_value", "q_value", "t", "rescue_pct"]], on=KEY, how="left"
    )
    tv = (
        scored[(scored["role"] == "sample") & (scored["arm"] == "drug")]
        .groupby(KEY, observed=True)["test_value"]
        .mean()
        .rename("mean_tv")
        .reset_index()
    )
    m = m.merge(tv.astype(dict.fromkeys(KEY, object)), on=KEY, how="left")
    m = m.merge(_outer_positions(scored), on=KEY, how="left")
    call = m["is_hit"].fillna(False).to_numpy(dtype=bool)
    qcall = ((m["q_value"] <= 0.05) & (m["t"] > 0)).to_numpy()
    true = m["true_rescue_pct"].to_numpy()
    pos, null, exact = true >= 20, true <= 0, true == 0
    p = m.loc[exact, "p_value"].dropna().to_numpy()
    n_calls = int(call.sum())
    outer = m["outer"].fillna(False).to_numpy(dtype=bool)
    p_all = m["p_value"].to_numpy(dtype=float)
    return {
        "calls": n_calls,
        "fdr": (call & null).sum() / max(n_calls, 1),
        "fdr_q": (qcall & null).sum() / max(int(qcall.sum()), 1),
        "lt20": (call & ~pos).sum() / max(n_calls, 1),
        "recall": (call & pos).sum() / max(int(pos.sum()), 1),
        "tested": float(m["p_value"].notna().mean()),
        "p05": _below(p, 0.05),
        "p01": _below(p, 0.01),
        "ks": float(stats.kstest(p, "uniform").statistic) if p.size else np.nan,
        "shift": float(m.loc[exact, "mean_tv"].median()),
        "null_resc": float(m.loc[exact, "rescue_pct"].mean()),
        "resc_bias": float((m["rescue_pct"] - m["true_rescue_pct"])[pos].mean()),
        # where the false calls sit (--positions)
        "false": int((call & null).sum()),
        "false_outer": int((call & null & outer).sum()),
        "outer_share": float(outer[exact].mean()),
        "p01_outer": _below(p_all[exact & outer], 0.01),
        "p01_inner": _below(p_all[exact & ~outer], 0.01),
    }


def run(scenario: Scenario, seed: int) -> list[dict[str, Any]]:
    wells, truth = sr.simulate_screen(seed=seed, **scenario.sim)
    if scenario.perturb is not None:
        wells = scenario.perturb(wells, np.random.default_rng(seed + 10_000))
    result = sr.rank_screen(wells, **scenario.rank)
    out = [{"method": "current", **evaluate(result.hits, truth, result.wells)}]
    variants = {}
    if set(CENTRE) & set(scenario.alternatives):
        scored, centre = two_pass_centre(result.wells)
        variants["centre inactive"] = scored
        variants["centre inactive + bulk rescue"] = bulk_rescue(scored, result.plates, centre)
    if set(MASK) & set(scenario.alternatives):
        variants["mask outlier wells"] = mask_outlier_wells(result.wells)
    if set(ROBUST) & set(scenario.alternatives):
        variants["robust prior"] = result.wells
    for name in scenario.alternatives:
        sc = variants[name]
        hits = call_hits(protein_stats(sc, robust=name in ROBUST))
        out.append({"method": name, **evaluate(hits, truth, sc)})
    return [{"scenario": scenario.name, "seed": seed, **row} for row in out]


COLUMNS = [
    "calls",
    "fdr",
    "fdr_max",
    "fdr_q",
    "lt20",
    "recall",
    "tested",
    "p05",
    "p01",
    "ks",
    "shift",
    "null_resc",
    "resc_bias",
]


def summarise(res: pd.DataFrame) -> pd.DataFrame:
    g = res.groupby(["scenario", "method"], sort=False)
    out = g[[c for c in COLUMNS if c != "fdr_max"]].mean()
    out.insert(2, "fdr_max", g["fdr"].max())
    return out.reset_index()


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return "-" if np.isnan(x) else f"{x:.1f}" if abs(x) >= 10 else f"{x:.3f}"
    return str(x)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * table.shape[1]]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="seeds per scenario (100, 101, ...)")
    ap.add_argument("--quick", action="store_true", help="2 seeds per scenario")
    ap.add_argument("--only", nargs="*", help="scenario names (substrings) to run")
    ap.add_argument("--per-seed", action="store_true", help="also print every seed's row")
    ap.add_argument("--markdown", action="store_true", help="tables as markdown")
    ap.add_argument(
        "--positions",
        action="store_true",
        help="also print where false calls and small null p-values sit on the plate",
    )
    args = ap.parse_args()
    n_seeds = 2 if args.quick else args.seeds
    chosen = [
        s for s in SCENARIOS if not args.only or any(o.lower() in s.name.lower() for o in args.only)
    ]
    start = time.perf_counter()
    rows = [row for s in chosen for seed in range(100, 100 + n_seeds) for row in run(s, seed)]
    res = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    if args.per_seed:
        print(res.to_string(index=False, float_format=_fmt))
        print()
    summary = summarise(res)
    current = summary[summary["method"] == "current"].drop(columns="method")
    alt = summary[summary["scenario"].isin(summary.loc[summary["method"] != "current", "scenario"])]
    for title, table in (
        (f"current method, mean over {n_seeds} seeds:", current),
        ("prototypes beside the current method (same seeds):", alt),
    ):
        print(title)
        print(markdown(table) if args.markdown else table.to_string(index=False, float_format=_fmt))
        print()
    if args.positions:
        cols = ["false", "false_outer", "outer_share", "p01_outer", "p01_inner"]
        where = res[res["method"] == "current"].groupby("scenario", sort=False)[cols].mean()
        print("false calls (per seed) in the outer two rows/columns of the sample area, and")
        print("exact nulls with p < 0.01 there and inside (current method):")
        table = where.reset_index()
        print(markdown(table) if args.markdown else table.to_string(index=False, float_format=_fmt))
        print()
    print(f"{len(chosen)} scenarios x {n_seeds} seeds in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
