"""Simulated rescue screens with known answers (for tests, benchmarks and the demo).

Model, per well (all factors multiplicative, then log-normal noise)::

    drug arm:     level = (D + r * (1 - D)) * g * k     vehicle arm: level = g * k
    value = scale_plate * level * edge * gradient * exp(N(0, noise_sd)) [* outlier]

with D the surviving fraction under drug, r the protein's true rescue (0 for non-rescuers),
g its growth factor (> 1 for mitogens, in both arms), k its toxicity (< 1 for toxic
proteins). Plates are 384-well with controls in the outer columns where real layouts put
them (drug controls in columns 1 and 23, vehicle controls in 2 and 24), so the edge loss
hits controls and samples differently. Each plate has its own scale, a row/column gradient
of random direction and an edge loss on the outer ring.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from importlib import resources
from typing import TypeGuard

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError
from secretome_rank.layout import well_id

__all__ = ["library", "simulate_screen"]

#: proteins known to rescue kinase-inhibitor-treated cancer cells (Wilson et al. 2012,
#: Straussman et al. 2012, Harbinski et al. 2012); candidates for planted rescuers
CLASSIC_RESCUERS = (
    "HGF",
    "NRG1",
    "FGF2",
    "FGF1",
    "FGF7",
    "FGF10",
    "EGF",
    "TGFA",
    "AREG",
    "HBEGF",
    "BTC",
    "EREG",
    "IGF1",
    "IGF2",
    "PDGFB",
    "MST1",
    "GAS6",
    "NGF",
    "BDNF",
    "KITLG",
    "CSF1",
    "IL6",
    "LIF",
    "OSM",
    "ANGPT1",
    "VEGFA",
)


def library() -> pd.DataFrame:
    """The bundled example library: ``protein`` (library name), ``symbol`` (HGNC), ``family``."""
    path = resources.files("secretome_rank") / "data" / "secretome_library.tsv"
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, sep="\t", dtype=str)


def _rng(seed: np.random.Generator | int | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


#: the treatment of the vehicle arm (a drug cannot have this name)
VEHICLE = "DMSO"


def _is_int(value: object) -> TypeGuard[int]:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_names(name: str, value: object, example: str, problems: list[str]) -> None:
    """``value`` must be a non-empty sequence of unique, non-empty names."""
    if not isinstance(value, tuple | list):
        problems.append(f"{name}={value!r}: expected a tuple or list of names, e.g. {example}")
        return
    names = list(value)
    if not names:
        problems.append(f"{name}=(): expected at least one name, e.g. {example}")
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        problems.append(f"{name}: names must be non-empty text; got {bad!r}")
    repeated = sorted({str(n) for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"{name}: give each name once; repeated: {', '.join(repeated)}")


def _check_real(
    name: str, value: object, low: float, high: float, problems: list[str], *, open_: str = ""
) -> None:
    """``value`` must be a finite number in [low, high]; ``open_`` names open ends ("l", "h")."""
    number = (
        float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else None
    )
    ok = (
        number is not None
        and math.isfinite(number)
        and (low < number if "l" in open_ else low <= number)
        and (number < high if "h" in open_ else number <= high)
    )
    if not ok:
        left = "(" if "l" in open_ else "["
        if math.isinf(high):
            expected = f"a finite number {'>' if 'l' in open_ else '>='} {low:g}"
        else:
            expected = f"a number in {left}{low:g}, {high:g}{')' if 'h' in open_ else ']'}"
        problems.append(f"{name}={value!r}: expected {expected}")


def _check_parameters(
    seed: object,
    n_proteins: object,
    cell_lines: object,
    drugs: object,
    counts: Sequence[tuple[str, object, int]],
    reals: Sequence[tuple[str, object, float, float, str]],
) -> None:
    """Collect every invalid parameter of :func:`simulate_screen` into one ConfigError.

    ``counts``: (name, value, minimum); ``reals``: (name, value, low, high, open ends).
    """
    problems: list[str] = []
    if not (seed is None or isinstance(seed, np.random.Generator) or (_is_int(seed) and seed >= 0)):
        problems.append(f"seed={seed!r}: expected an integer >= 0, a numpy Generator or None")
    if n_proteins is not None and not (_is_int(n_proteins) and n_proteins >= 1):
        problems.append(
            f"n_proteins={n_proteins!r}: expected an integer >= 1, or None for the whole library"
        )
    if _is_int(cell_lines):
        if cell_lines < 1:
            problems.append(f"cell_lines={cell_lines!r}: expected a count >= 1 or a tuple of names")
    else:
        _check_names("cell_lines", cell_lines, "('A375', 'SKMEL28')", problems)
    _check_names("drugs", drugs, "('vemurafenib',)", problems)
    if isinstance(drugs, tuple | list) and VEHICLE in drugs:
        problems.append(
            f"drugs: {VEHICLE!r} names the vehicle arm (added by vehicle_arm=True); "
            "give the drugs other names"
        )
    for name, value, least in counts:
        if not (_is_int(value) and value >= least):
            problems.append(f"{name}={value!r}: expected an integer >= {least}")
    for name, value, low, high, open_ in reals:
        _check_real(name, value, low, high, problems, open_=open_)
    if problems:
        raise ConfigError(
            f"simulate_screen: {len(problems)} invalid parameter(s); fix them and call again",
            problems=problems,
        )


def simulate_screen(
    seed: np.random.Generator | int | None = 0,
    *,
    n_proteins: int | None = None,
    cell_lines: int | tuple[str, ...] = ("A375", "SKMEL28"),
    drugs: tuple[str, ...] = ("vemurafenib", "trametinib"),
    n_replicates: int = 3,
    vehicle_arm: bool = True,
    n_rescuers: int = 16,
    n_mitogens: int = 8,
    n_toxic: int = 8,
    drug_survival: float = 0.25,
    noise_sd: float = 0.06,
    edge_loss: float = 0.12,
    gradient: float = 0.1,
    plate_scale_sd: float = 0.3,
    outlier_rate: float = 0.003,
    missing_rate: float = 0.002,
    line_activity: float = 1.0,
    strength_sd: float = 0.3,
    drug_specific_fraction: float = 0.25,
    with_wells: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a secreted-protein rescue screen with known rescuers, mitogens and toxins.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        Randomness.
    n_proteins : int, optional
        Library size, >= 1 (default: the whole bundled library, 491 proteins; a larger
        number warns and simulates the whole library).
    cell_lines : int or tuple of str
        Cell line names (unique), or a count >= 1 (names ``CL001``, ...).
    drugs : tuple of str
        Drug arms, at least one, unique names other than ``DMSO``; each cell line gets
        every drug.
    n_replicates : int
        Replicate plates per arm, >= 1.
    vehicle_arm : bool
        Add a vehicle (``DMSO``) arm per cell line.
    n_rescuers, n_mitogens, n_toxic : int
        Planted effects, >= 0 each (rescuers are drawn from known rescuers first; a small
        library may hold fewer).
    drug_survival : float
        Fraction of cells surviving the drug (D / V), in (0, 1).
    noise_sd : float
        SD of the log-normal well noise (natural log), >= 0.
    edge_loss : float
        Maximal signal loss of outer-ring wells (each plate draws a loss in [0.5, 1] x this),
        in [0, 1).
    gradient : float
        SD of the per-plate row and column log-gradients across the plate, >= 0.
    plate_scale_sd : float
        SD of the per-plate log scale (each plate's readout level is ``50000 *
        exp(N(0, plate_scale_sd))``), >= 0. Per-plate normalisation divides it out; raise it
        to check that.
    outlier_rate, missing_rate : float
        Fractions of wells multiplied by 2-5 (or 0.1-0.4) and of wells left empty, in [0, 1].
    line_activity : float
        Probability that a rescuer is active in a given cell line, in [0, 1].
    strength_sd : float
        Log-scale SD of a rescuer's strength across cell lines, >= 0.
    drug_specific_fraction : float
        Fraction of rescuers that rescue only the first drug, in [0, 1].
    with_wells : bool
        Include plate positions (``well``); without them the table has no layout.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The canonical well table (``plate, well, value, role, protein, cell_line,
        treatment, replicate``) and the truth, one row per cell line x drug x protein:
        ``cell_line, treatment, protein, symbol, kind`` (rescuer, mitogen, toxic,
        inactive), ``true_rescue_pct`` (expected % rescue), ``true_growth_log2`` (expected
        log2 growth in the vehicle arm), ``is_rescuer`` (drug-specific rescue > 0),
        ``rescue_fraction``.

    Raises
    ------
    ConfigError
        A parameter is out of range or of the wrong type (a ``ValueError``; the message
        lists every invalid parameter with the values it accepts).

    Warns
    -----
    UserWarning
        ``n_proteins`` is larger than the bundled library.

    Examples
    --------
    >>> wells, truth = simulate_screen(seed=1, n_proteins=40, cell_lines=("A",), drugs=("x",))
    >>> sorted(wells["role"].unique())
    ['drug_control', 'empty', 'sample', 'vehicle_control']
    """
    _check_parameters(
        seed,
        n_proteins,
        cell_lines,
        drugs,
        counts=[
            ("n_replicates", n_replicates, 1),
            ("n_rescuers", n_rescuers, 0),
            ("n_mitogens", n_mitogens, 0),
            ("n_toxic", n_toxic, 0),
        ],
        reals=[
            ("drug_survival", drug_survival, 0.0, 1.0, "lh"),
            ("noise_sd", noise_sd, 0.0, math.inf, ""),
            ("edge_loss", edge_loss, 0.0, 1.0, "h"),
            ("gradient", gradient, 0.0, math.inf, ""),
            ("plate_scale_sd", plate_scale_sd, 0.0, math.inf, ""),
            ("outlier_rate", outlier_rate, 0.0, 1.0, ""),
            ("missing_rate", missing_rate, 0.0, 1.0, ""),
            ("line_activity", line_activity, 0.0, 1.0, ""),
            ("strength_sd", strength_sd, 0.0, math.inf, ""),
            ("drug_specific_fraction", drug_specific_fraction, 0.0, 1.0, ""),
        ],
    )
    rng = _rng(seed)
    lib = library()
    if n_proteins is not None:
        if n_proteins > len(lib):
            warnings.warn(
                f"n_proteins={n_proteins}: the bundled library has {len(lib)} proteins; "
                f"simulating all {len(lib)} (pass n_proteins <= {len(lib)} to silence this)",
                UserWarning,
                stacklevel=2,
            )
        lib = lib.sample(
            n=min(n_proteins, len(lib)), random_state=int(rng.integers(2**31))
        ).sort_values("protein")
    lib = lib.reset_index(drop=True)
    n_p = len(lib)
    lines = (
        tuple(cell_lines)
        if isinstance(cell_lines, tuple | list)
        else tuple(f"CL{i + 1:03d}" for i in range(int(cell_lines)))
    )

    # --- planted effects -----------------------------------------------------------------
    kind = np.array(["inactive"] * n_p, dtype=object)
    classic = np.flatnonzero(lib["symbol"].isin(CLASSIC_RESCUERS).to_numpy())
    # other rescuers come from signalling families (not binding proteins or proteases)
    signalling = ~lib["family"].isin(["binding_protein", "protease"]).to_numpy()
    others = np.setdiff1d(np.flatnonzero(signalling), classic)
    n_res = min(n_rescuers, n_p)
    classic_order = rng.permutation(classic)
    n_classic = max(0, min(len(classic), n_res - n_res // 4))
    picks = classic_order[:n_classic]
    n_others = min(n_res - n_classic, len(others))
    picks = np.concatenate([picks, rng.choice(others, n_others, replace=False)])
    # a small library may hold too few other signalling proteins: more classic ones then
    # (no further draws, so every library that had enough gives the same screen as before)
    picks = np.concatenate([picks, classic_order[n_classic : n_classic + n_res - len(picks)]])
    kind[picks] = "rescuer"
    free = np.flatnonzero(kind == "inactive")
    mit = rng.choice(free, min(n_mitogens, len(free)), replace=False)
    kind[mit] = "mitogen"
    free = np.flatnonzero(kind == "inactive")
    tox = rng.choice(free, min(n_toxic, len(free)), replace=False)
    kind[tox] = "toxic"
    base_strength = np.where(kind == "rescuer", rng.uniform(0.1, 0.8, n_p), 0.0)
    drug_specific = (kind == "rescuer") & (rng.random(n_p) < drug_specific_fraction)
    growth = np.where(kind == "mitogen", rng.uniform(1.4, 2.2, n_p), 1.0)
    toxicity = np.where(kind == "toxic", rng.uniform(0.3, 0.7, n_p), 1.0)

    # per line x drug rescue fraction
    n_l, n_d = len(lines), len(drugs)
    active = rng.random((n_l, n_p)) < line_activity
    lvar = np.exp(rng.normal(0, strength_sd, (n_l, n_p)))
    r = np.clip(base_strength[None, :] * lvar, 0, 0.95) * active  # (lines, proteins)
    r_ld = np.repeat(r[:, None, :], n_d, axis=1)  # (lines, drugs, proteins)
    if n_d > 1:
        r_ld[:, 1:, drug_specific] = 0.0

    # --- layout ------------------------------------------------------------------------
    n_rows, n_cols = 16, 24
    sample_cols = np.arange(3, n_cols - 1)  # 3..22
    slots_per_plate = n_rows * len(sample_cols)
    n_lib_plates = int(np.ceil(n_p / slots_per_plate))
    slot_perm = rng.permutation(n_lib_plates * slots_per_plate)
    rows_all = np.tile(np.repeat(np.arange(1, n_rows + 1), n_cols), 1)
    cols_all = np.tile(np.arange(1, n_cols + 1), n_rows)
    role_grid = np.where(
        np.isin(cols_all, (1, n_cols - 1)),
        C.DRUG_CONTROL,
        np.where(np.isin(cols_all, (2, n_cols)), C.VEHICLE_CONTROL, C.SAMPLE),
    ).astype(object)
    # sample slot index of every sample well of a library plate
    sample_pos = np.flatnonzero(role_grid == C.SAMPLE)
    arms = [*drugs, *((VEHICLE,) if vehicle_arm else ())]
    frames = []
    for li, line in enumerate(lines):
        for ai, arm in enumerate(arms):
            is_vehicle = arm == VEHICLE
            for rep in range(1, n_replicates + 1):
                for lp in range(n_lib_plates):
                    slot = slot_perm[lp * slots_per_plate : (lp + 1) * slots_per_plate]
                    prot = np.full(n_rows * n_cols, -1)
                    prot[sample_pos] = np.where(slot < n_p, slot, -1)
                    role = role_grid.copy()
                    role[(role == C.SAMPLE) & (prot < 0)] = C.EMPTY
                    # expected level
                    level = np.ones(prot.size)
                    has = prot >= 0
                    if is_vehicle:
                        level[role == C.DRUG_CONTROL] = drug_survival
                        level[has] = growth[prot[has]] * toxicity[prot[has]]
                    else:
                        level[role == C.DRUG_CONTROL] = drug_survival
                        rr = r_ld[li, ai, prot[has]]
                        level[has] = (
                            (drug_survival + rr * (1 - drug_survival))
                            * growth[prot[has]]
                            * toxicity[prot[has]]
                        )
                    level[role == C.EMPTY] = 0.002
                    scale = np.exp(rng.normal(np.log(50000), plate_scale_sd))
                    loss = edge_loss * rng.uniform(0.5, 1.0)
                    edge = (
                        (rows_all == 1)
                        | (rows_all == n_rows)
                        | (cols_all == 1)
                        | (cols_all == n_cols)
                    )
                    a, b = rng.normal(0, gradient, 2)
                    grad = np.exp(a * (rows_all - 8.5) / n_rows + b * (cols_all - 12.5) / n_cols)
                    noise = np.exp(rng.normal(0, noise_sd, prot.size))
                    value = scale * level * np.where(edge, 1 - loss, 1.0) * grad * noise
                    out = rng.random(prot.size) < outlier_rate
                    value[out] *= np.where(
                        rng.random(out.sum()) < 0.5,
                        rng.uniform(2, 5, out.sum()),
                        rng.uniform(0.1, 0.4, out.sum()),
                    )
                    value[rng.random(prot.size) < missing_rate] = np.nan
                    plate = f"{line}_{arm}_R{rep}_L{lp + 1}"
                    frames.append(
                        pd.DataFrame(
                            {
                                C.PLATE: plate,
                                C.WELL: well_id(rows_all, cols_all),
                                C.VALUE: np.round(value, 1),
                                C.ROLE: role,
                                C.PROTEIN: np.where(
                                    has, lib["protein"].to_numpy()[np.maximum(prot, 0)], None
                                ),
                                C.CELL_LINE: line,
                                C.TREATMENT: arm,
                                C.REPLICATE: rep,
                            }
                        )
                    )
    wells = pd.concat(frames, ignore_index=True)
    if not with_wells:
        wells = wells.drop(columns=[C.WELL])
        wells = wells[wells[C.ROLE] != C.EMPTY].reset_index(drop=True)

    # --- truth -----------------------------------------------------------------------------
    li_idx, d_idx, p_idx = (
        g.ravel()
        for g in np.meshgrid(np.arange(n_l), np.arange(n_d), np.arange(n_p), indexing="ij")
    )
    rr = r_ld[li_idx, d_idx, p_idx]
    lvl = (drug_survival + rr * (1 - drug_survival)) * growth[p_idx] * toxicity[p_idx]
    truth = pd.DataFrame(
        {
            C.CELL_LINE: np.array(lines, dtype=object)[li_idx],
            C.TREATMENT: np.array(drugs, dtype=object)[d_idx],
            C.PROTEIN: lib["protein"].to_numpy()[p_idx],
            C.SYMBOL: lib["symbol"].to_numpy()[p_idx],
            "kind": kind[p_idx],
            "rescue_fraction": rr,
            "true_rescue_pct": 100 * (lvl - drug_survival) / (1 - drug_survival),
            "true_growth_log2": np.log2(growth[p_idx] * toxicity[p_idx]),
            "is_rescuer": rr > 0,
        }
    )
    return wells, truth
