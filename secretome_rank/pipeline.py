"""The whole ranking pipeline as a short list of stage calls (DESIGN section 2)."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.aggregate import rescue_matrix, summarize_contexts
from secretome_rank.centring import centre_on_inactive, off_centre_note
from secretome_rank.config import RankConfig, is_number
from secretome_rank.errors import ConfigError, SchemaError, warn
from secretome_rank.hits import (
    TESTS,
    adjust_by_group,
    call_hits,
    combine_codes,
    context_codes,
    encode_keys,
    first_appearance,
    is_value,
    key_codes,
    protein_stats,
)
from secretome_rank.io import read_screen
from secretome_rank.moderated import ZERO_VARIANCES
from secretome_rank.multitest import rescue_p
from secretome_rank.normalize import (
    BSCORE_NEEDS_WELLS,
    has_well_ids,
    normalize_plates,
    readout_sign,
)
from secretome_rank.qc import copied_plates, plate_qc, spatial_pattern
from secretome_rank.rank import rank_hits
from secretome_rank.result import PipelineResult, text_as_str
from secretome_rank.schema import READ_COLUMNS, check_read
from secretome_rank.specificity import classify, interaction_stats

__all__ = ["PipelineResult", "rank_screen"]

logger = logging.getLogger(__name__)


def _complete(table: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """One row per input protein x drug context, with a status for the untestable ones."""
    sample = (scored[C.ROLE] == C.SAMPLE).to_numpy() & scored[C.PROTEIN].notna().to_numpy()
    # the keys as text (not categorical): joined to the table's text keys without a cast,
    # they stay pandas' str dtype, as protein_stats gives them
    proteins = pd.Index(
        scored[C.PROTEIN].iloc[_first_rows(scored, sample, [C.PROTEIN])].astype("str").array
    )
    drug = (scored[C.ARM] == C.ARM_DRUG).to_numpy()
    ctx = (
        scored[[C.CELL_LINE, C.TREATMENT]]
        .iloc[_first_rows(scored, drug, [C.CELL_LINE, C.TREATMENT])]
        .astype("str")
    )
    grid = ctx.merge(pd.DataFrame({C.PROTEIN: proteins}), how="cross")
    full = _left_join(grid, table, [C.CELL_LINE, C.TREATMENT, C.PROTEIN])
    n_wells = full["n_wells"].fillna(0).astype(int).to_numpy()
    n_rep = full[C.N_REPLICATES].fillna(0).astype(int).to_numpy()
    full["n_wells"] = n_wells
    full[C.N_REPLICATES] = n_rep
    untested = full[C.P_VALUE].isna().to_numpy()
    status = np.select(
        [n_wells == 0, n_rep == 0, untested & (n_rep == 1), untested, n_rep == 1],
        [0, 1, 2, 3, 4],
        default=5,
    )
    names = [
        "not_on_plates",
        "all_wells_missing",
        "single_replicate_untested",
        "untested",
        "single_replicate_prior_df",
        "ok",
    ]
    full[C.STATUS] = pd.array(names, dtype="str").take(status)  # text of a status code
    return full


def _first_rows(
    frame: pd.DataFrame, rows: NDArray[np.bool_], columns: list[str]
) -> NDArray[np.intp]:
    """Positions of the first of ``rows`` with each combination of ``columns``, in row order.

    As ``frame[rows].drop_duplicates(columns)`` (missing values are equal), on integer codes.
    """
    positions = np.flatnonzero(rows)
    codes, levels = zip(*(key_codes(frame[c], positions) for c in columns), strict=True)
    ids, size = combine_codes(list(codes), [len(lv) + 1 for lv in levels])
    return positions[first_appearance(ids, size)[1]]


def _left_join(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``left.merge(right, on=keys, how="left")``, joined on integer codes of the keys.

    The codes are the categories of a categorical ``left`` key, and only the distinct values
    of ``right`` are looked up (:func:`~secretome_rank.hits.key_codes`,
    :func:`~secretome_rank.hits.encode_keys`), instead of hashing the text of both sides; the
    result, dtypes included, is the merge's. Falls back to the merge when ``right`` repeats a
    key or shares a column other than the keys with ``left`` (the merge would add suffixes).
    """
    both: list[NDArray[np.int64]] = []  # per key: the left codes, then the right ones
    sizes = []
    for name in keys:
        codes, levels = key_codes(left[name])
        # missing matches missing (as in the merge); a value the left lacks matches nothing
        both.append(np.concatenate([codes, encode_keys(right[name], levels)]))
        sizes.append(len(levels) + 2)
    ids, _ = combine_codes(both, sizes)  # one code space for both sides
    left_key, right_key = ids[: len(left)], ids[len(left) :]
    right_index = pd.Index(right_key)
    shared = set(left.columns).intersection(right.columns).difference(keys)
    if shared or not right_index.is_unique:
        return left.merge(right, on=keys, how="left")
    if any(
        left[k].dtype != right[k].dtype or isinstance(left[k].dtype, pd.CategoricalDtype)
        for k in keys
    ):  # the merge casts keys of different dtypes: ask it which dtype on empty tables
        dtypes = left.iloc[:0].merge(right.iloc[:0], on=keys, how="left").dtypes
        left = left.astype(dtypes[keys].to_dict())
    pos = right_index.get_indexer(pd.Index(left_key))  # -1: no match, a row of NaN
    values = right.drop(columns=keys).reset_index(drop=True).reindex(pos)
    return pd.concat([left.reset_index(drop=True), values.reset_index(drop=True)], axis=1)


def _well_table(wells: pd.DataFrame | str | Path) -> pd.DataFrame:
    """The validated well table to rank.

    A file, or a table without every column of read_screen's output, goes through
    :func:`~secretome_rank.read_screen` (an ``arm`` column of a user's own does not skip
    that); that output, a filtered copy or a result's ``wells`` is not read again, but what an
    edit of it in a notebook can break is checked (:func:`~secretome_rank.schema.check_read`).
    """
    if not isinstance(wells, pd.DataFrame | str | Path):
        raise SchemaError(
            f"rank_screen: wells is a {type(wells).__name__}; expected a well table "
            "(pandas DataFrame, see read_screen) or the path of one"
        )
    if not isinstance(wells, pd.DataFrame) or not set(READ_COLUMNS) <= set(wells.columns):
        return read_screen(wells)
    check_read(wells)
    return wells


def _check_well_ids(wells: pd.DataFrame, cfg: RankConfig) -> None:
    """Raise one :class:`SchemaError` for every chosen option that needs well ids they lack."""
    problems = []
    if cfg.spatial == "bscore":
        problems.append(BSCORE_NEEDS_WELLS)
    if cfg.normalization == "cellhts2":
        from secretome_rank.normalize_cellhts2 import CELLHTS2_NEEDS_WELLS

        problems.append(CELLHTS2_NEEDS_WELLS)
    if problems and not has_well_ids(wells):
        raise SchemaError(f"input table: {len(problems)} problem(s) found", problems=problems)


def rank_screen(
    wells: pd.DataFrame | str | Path,
    *,
    fdr: float = 0.05,
    min_rescue: float = 20.0,
    test: str = "moderated",
    alternative: str = "greater",
    adjust: str = "bh",
    spatial: str = "none",
    exclude_failed: bool = False,
    ssmd_threshold: float = 3.0,
    pool: str = "auto",
    normalization: str = "controls",
    cellhts2_sign: int = 1,
    robust: bool = False,
    centre: str = "median",
    resource: pd.DataFrame | str | Path | None = None,
    resource_mode: str = "replace",
    expression: pd.DataFrame | None = None,
    expression_threshold: float = 1.0,
    on_table: Callable[[str, pd.DataFrame], None] | None = None,
) -> PipelineResult:
    """Rank a rescue screen: normalise, QC, test, adjust, call hits, classify, rank.

    Parameters
    ----------
    wells : pandas.DataFrame, str or pathlib.Path
        A well table: the output of :func:`secretome_rank.read_screen` (or a part of it, or
        a result's ``wells``), used as it is; any other table or file is read with
        ``read_screen`` (default options) first.
    fdr : float
        q-value threshold of a hit.
    min_rescue : float
        Minimum mean % rescue of a hit.
    test : {"moderated", "welch", "ssmd", "robust_z"}
        Per-protein test.
    alternative : {"greater", "two-sided"}
        One-sided rescue test, or two-sided (finds sensitizers too).
    adjust : {"bh", "by", "holm", "bonferroni", "hommel", "storey"}
        Multiple-testing adjustment within each context.
    spatial : {"none", "bscore"}
        Optional row/column correction before normalisation.
    exclude_failed : bool
        Leave wells of plates whose QC verdict is ``fail`` out of the statistics.
    ssmd_threshold : float
        Hit threshold for ``test="ssmd"``.
    pool : {"auto", "none", "cell_line"}
        Pool cell lines as replicates per drug (``auto``: when contexts have one replicate).
    normalization : {"controls", "cellhts2"}
        ``controls``: the per-plate normalisation of DESIGN 2.2. ``cellhts2``: additionally
        score wells as cellHTS2 does (plate median scaling, robust z over the plates of a
        replicate, :mod:`secretome_rank.normalize_cellhts2`) and test that per-replicate
        ``score`` (it becomes ``test_value``).
    cellhts2_sign : {1, -1}
        cellHTS2's ``sign``: -1 makes a loss of signal score positive (as in the cellHTS2
        vignette's viability screen); the one-sided test then looks for losses.
    robust : bool
        Moderated tests only: limma's robust variance prior (``eBayes(robust = TRUE)``,
        :mod:`secretome_rank.robust_prior`). Proteins whose replicate variance is an outlier
        (a wild well) no longer shrink the prior df of every protein in the context; they
        get a smaller prior df of their own. Off by default, as in limma.
    centre : {"median", "inactive"}
        Centre of each plate's test value: the median of its sample wells (DESIGN 2.2), or
        the median of the wells of proteins that a two-sided first pass finds inactive
        (:mod:`secretome_rank.centring`; for libraries with many toxic or rescuing
        proteins, where the median is off; the run's notes say when it is).
    resource : DataFrame, str or Path, optional
        Ligand-receptor resource (CellPhoneDB folder, liana/OmniPath CSV, CellChat
        ``interaction_input.csv`` or a two-column TSV); default the bundled curated table.
    resource_mode : {"replace", "union"}
        Use only ``resource``, or the bundled table plus ``resource``.
    expression : DataFrame, optional
        Receptor expression (``cell_line, gene, value``): hits whose receptors are not
        expressed (every receptor misses a subunit) are ranked after the other hits.
    expression_threshold : float
        A gene is expressed when ``value >= expression_threshold``.
    on_table : callable, optional
        Called as ``on_table(name, frame)`` with a table of the result as soon as it is
        final, before the rest of the run: ``"wells"`` (the scored wells, the result's
        ``wells``), ``"hits"``, ``"receptors"``, ``"receptor_families"``. Lets a caller write
        them meanwhile (:class:`secretome_rank.report.EarlyTables`).

    Returns
    -------
    PipelineResult

    Raises
    ------
    SchemaError
        The well table has problems (every one at once, as :func:`read_screen` reports
        them), or has no drug arm.
    ConfigError
        An option is invalid (the message names the allowed values).

    Examples
    --------
    >>> import secretome_rank as sr
    >>> wells, truth = sr.simulate_screen(seed=3, n_proteins=60, cell_lines=("A",), drugs=("x",))
    >>> res = sr.rank_screen(wells)
    >>> res.hits["protein"].nunique() == wells["protein"].dropna().nunique()
    True
    """
    cfg = RankConfig(
        fdr=fdr,
        min_rescue=min_rescue,
        test=test,
        alternative=alternative,
        adjust=adjust,
        spatial=spatial,
        exclude_failed=exclude_failed,
        ssmd_threshold=ssmd_threshold,
        pool=pool,
        normalization=normalization,
        cellhts2_sign=cellhts2_sign,
        robust=robust,
        centre=centre,
    )
    notes: list[str] = []
    _check_expression_options(expression, expression_threshold)
    table = _receptor_resource(resource, resource_mode)  # a bad resource fails before the work
    wells = _well_table(wells)
    if not (wells[C.ARM] == C.ARM_DRUG).any():
        treatments = ", ".join(map(str, pd.unique(wells[C.TREATMENT].astype(str))[:5]))
        raise SchemaError(
            f"column 'treatment': every plate is a vehicle-arm plate (treatment {treatments}: "
            "a vehicle word), so there is no drug arm and no rescue to rank; name each "
            "drug-treated plate's drug in 'treatment', or run `secretome-rank qc` for plate "
            "QC alone"
        )
    _check_well_ids(wells, cfg)
    # 1. per-plate normalisation (controls set the % scale; the library bulk is the null)
    scored, plates = normalize_plates(wells, spatial=cfg.spatial)  # type: ignore[arg-type]
    # rescue is positive in Welch's t and SSMD (log2 ratios) whichever way the readout runs;
    # test values too, except cellHTS2 scores, which carry the user's --cellhts2-sign
    direction = readout_sign(plates)
    sign = direction if cfg.normalization != "cellhts2" else 1
    if sign < 0:
        notes.append(
            "the readout falls with viability here (vehicle controls read below drug "
            "controls on every drug-arm plate): test values, t and SSMD are negated so that "
            "rescue, a move toward the vehicle controls, is positive; log2_ratio and log2_fc "
            "keep the readout's direction (if the control roles are swapped instead, fix "
            "them: see qc.tsv)"
        )
    if cfg.normalization == "cellhts2":
        from secretome_rank.normalize_cellhts2 import cellhts2_scores

        scored = cellhts2_scores(scored, sign=cfg.cellhts2_sign)  # type: ignore[arg-type]
        scored[C.TEST_VALUE] = scored["score"].where(scored[C.ROLE] == C.SAMPLE)
        notes.append(
            "cellHTS2 normalisation: test_value is the per-replicate cellHTS2 robust z score"
        )
    # 2. plate QC (it only reads the wells, and no centre changes its replicate correlation:
    # they are final here unless failed plates go or the centre moves)
    early = not cfg.exclude_failed and cfg.centre == "median"
    if on_table is not None and early:
        on_table("wells", scored)
    qc = text_as_str(plate_qc(scored, plates))
    failed = qc.loc[qc[C.VERDICT] == C.FAIL, C.PLATE]
    if cfg.spatial == "none":
        notes.extend(_spatial_note(qc))
    notes.extend(_bulk_note(plates))
    notes.extend(_copies_note(wells))
    notes.extend(_repeats_note(wells))
    if len(failed):
        notes.append(f"{len(failed)} plate(s) failed QC: {', '.join(map(str, failed[:10]))}")
        if cfg.exclude_failed:
            drop = scored[C.PLATE].isin(failed).to_numpy()
            scored.loc[drop, C.TEST_VALUE] = np.nan
            flags = scored[C.FLAGS].astype(object).to_numpy(copy=True)
            cur = flags[drop]
            flags[drop] = np.where(cur == "", "plate_failed_qc", cur + ";plate_failed_qc")
            scored[C.FLAGS] = pd.Categorical(flags)
            notes.append(
                "wells of failed plates were excluded from the statistics (--exclude-failed)"
            )
            drug_plates = qc.loc[qc[C.ARM] == C.ARM_DRUG, C.PLATE]
            if drug_plates.isin(failed).all():  # nothing left to test: say it now
                warn(
                    "every drug-arm plate failed QC and --exclude-failed left them out: no "
                    "protein can be tested (see qc.tsv for the reasons)"
                )
    if cfg.centre == "inactive":  # on the plates that stay in the statistics
        scored, note = _recentre(scored, cfg, sign)
        notes.append(note)
    if on_table is not None and not early:
        on_table("wells", scored)
    # 3. per-protein statistics per context, FDR, hit calls
    stats_table = protein_stats(
        scored,
        test=cfg.test,
        alternative=cfg.alternative,
        adjust=cfg.adjust,
        robust=cfg.robust,
        sign=direction,
    )
    if cfg.test == "moderated" and cfg.centre == "median":
        options = {"alternative": cfg.alternative, "adjust": cfg.adjust, "fdr": cfg.fdr}
        notes.extend(off_centre_note(stats_table, **options))
    stats_table = call_hits(
        stats_table,
        fdr=cfg.fdr,
        min_rescue=cfg.min_rescue,
        alternative=cfg.alternative,
        test=cfg.test,
        ssmd_threshold=cfg.ssmd_threshold,
    )
    # 4. drug-specific rescue against the vehicle arm, then class per protein; on the
    # completed table, so that a protein with vehicle wells but no drug-arm rows informs the
    # interaction prior and gets its n_vehicle, as in limma
    with warnings.catch_warnings():  # said once, by the test above, is enough
        warnings.filterwarnings("ignore", ZERO_VARIANCES, UserWarning)
        hits = interaction_stats(
            scored, _complete(stats_table, scored), adjust=cfg.adjust, robust=cfg.robust
        )
    hits = hits[[*(c for c in hits.columns if c != C.STATUS), C.STATUS]]  # status stays last
    hits[C.IS_HIT] = hits[C.IS_HIT].fillna(False).astype(bool)
    hits[C.DIRECTION] = hits[C.DIRECTION].fillna(C.NONE)
    hits = classify(hits, fdr=cfg.fdr)
    # 4b. panels with one well per protein and line: cell lines as replicates per drug
    hits = _add_pooled(hits, scored, cfg, notes, direction)
    if cfg.test == "moderated" and len(hits) and hits[C.P_VALUE].isna().all():
        note = (
            "no protein could be tested: with one replicate per protein no variance can be "
            "estimated, so proteins are ranked by effect with p = NA; add replicate plates, "
            "or use --test robust_z (each well against its plate's library spread)"
        )
        notes.append(note)
        warn(note)
    if cfg.test == "ssmd":
        notes.append(
            "--test ssmd gives no p-values: hits are called by SSMD alone, and what needs "
            "p-values is left empty: Stouffer and rank aggregation across contexts "
            "(summary.tsv) and the receptors' combined p and q (receptors.tsv; their hit "
            "ligands are still counted)"
        )
    if not (scored[C.ARM] == C.ARM_VEHICLE).any():
        notes.append(
            "no vehicle arm: rescue hits are 'rescue_unconfirmed' (cannot tell drug-specific "
            "rescue from growth stimulation without protein-only plates)"
        )
    # 5. names and receptors of every protein; receptor and family ranking per context
    hits = _add_receptors(hits, table, expression, expression_threshold)
    notes.extend(_same_gene_note(hits))
    # 6. rank within context (hits whose receptors are not expressed go after other hits)
    hits = rank_hits(hits)
    hits = hits[[*C.HITS_COLUMNS, *[c for c in hits.columns if c not in C.HITS_COLUMNS]]]
    if on_table is not None:
        on_table("hits", hits)
    receptors, families = (
        text_as_str(t) for t in _rank_receptors(hits, table, cfg.fdr, cfg.alternative, cfg.adjust)
    )
    if on_table is not None:
        on_table("receptors", receptors)
        on_table("receptor_families", families)
    # 7. across contexts: Stouffer and robust rank aggregation per protein, rescue matrix
    summary = summarize_contexts(hits, fdr=cfg.fdr, alternative=cfg.alternative, adjust=cfg.adjust)
    matrix = rescue_matrix(hits)
    config = cfg.to_dict() | {
        "test_reference": TESTS[cfg.test].reference,
        "resource": "bundled"
        if resource is None
        else ("table" if isinstance(resource, pd.DataFrame) else str(resource)),
        "resource_mode": resource_mode,
        "expression": expression is not None,
        "expression_threshold": expression_threshold,
    }
    if logger.isEnabledFor(logging.INFO):  # the counts take 25 ms on a million wells
        logger.info(
            "ranked %d proteins in %d context(s); %d hit(s)",
            hits[C.PROTEIN].nunique(),
            hits[[C.CELL_LINE, C.TREATMENT]].drop_duplicates().shape[0],
            int(hits[C.IS_HIT].sum()),
        )
    return PipelineResult(
        hits=hits,
        wells=scored,
        qc=qc,
        plates=plates,
        receptors=receptors,
        receptor_families=families,
        summary=summary,
        rescue_matrix=matrix,
        config=config,
        notes=tuple(notes),
    )


def _recentre(scored: pd.DataFrame, cfg: RankConfig, sign: int) -> tuple[pd.DataFrame, str]:
    """``centre="inactive"``: the re-centred wells and the run's note saying how far."""
    recentred, moved = centre_on_inactive(scored, adjust=cfg.adjust, fdr=cfg.fdr, sign=sign)
    spread = (
        f"median {moved.median():+.3f}, range {moved.min():+.3f} to {moved.max():+.3f}"
        if len(moved)
        else "no plate"
    )
    return recentred, (
        "test values centred on the proteins found inactive (centre 'inactive'): drug-arm "
        f"plate centres moved from the library median by {spread} log2"
    )


#: median % rescue of the library bulk on drug-arm plates above which the run says that
#: rescue_pct runs high (simulated screens: 1.7 by default, 10 with edge loss 0.4, 31 with
#: 0.7; 5.1 with a drug window D/V of 0.5)
BULK_RESCUE_NOTE = 5.0


def _bulk_note(plates: pd.DataFrame) -> list[str]:
    """Say when the library bulk reads clearly above 0 % rescue.

    Most library proteins are inactive, so the bulk of a drug-arm plate should read about
    0 %. When the drug controls read lower than the library (they sit in the outer
    columns, which lose more signal), every protein's ``rescue_pct`` runs high by about
    the bulk's value (docs/formulas.md section 7).
    """
    drug = plates[(plates[C.ARM] == C.ARM_DRUG) & (plates["norm_method"] == "controls")]
    d = drug["drug_median"].to_numpy(dtype=float)
    v = drug["vehicle_median"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        bulk = 100 * d * (np.exp2(drug["bulk_offset_log2"].to_numpy(dtype=float)) - 1) / (v - d)
    bulk = bulk[np.isfinite(bulk)]
    if not bulk.size or not np.median(bulk) > BULK_RESCUE_NOTE:
        return []
    if np.median(bulk) > 50:  # most proteins cannot rescue: the controls' labels, likely
        return [
            f"the library bulk reads a median {np.median(bulk):.1f} % rescue on drug-arm "
            "plates, nearer the vehicle controls than the drug controls: are the control "
            "roles swapped (drug_control for vehicle_control)? Check the plate map and "
            "qc.tsv; rescue_pct and the hit calls mean little until they are right"
        ]
    return [
        f"the library bulk reads a median {np.median(bulk):.1f} % rescue on drug-arm plates "
        "(about 0 % expected): the library wells read that far from the drug controls "
        "toward the vehicle controls (an edge effect on the controls in their outer "
        "columns, or something in every library well), so rescue_pct runs high by about "
        "that much and proteins just above --min-rescue may be inactive (qc.tsv: "
        "bulk_offset_log2)"
    ]


def _copies_note(wells: pd.DataFrame) -> list[str]:
    """Name plates that are copies of another plate, and warn: their statistics are void."""
    groups = copied_plates(wells)
    if not groups:
        return []
    shown = "; ".join(" = ".join(g) for g in groups[:5])
    more = f" and {len(groups) - 5} more group(s)" if len(groups) > 5 else ""
    note = (
        f"{sum(len(g) for g in groups)} plates hold the same readout in every well as another "
        f"plate ({shown}{more}): the same export loaded twice, or a copied replicate? "
        "Identical replicates make replicate variances 0, and the test then calls proteins "
        "significant that are not; remove the copies, or give each plate its own readouts, "
        "and rank again"
    )
    warn(note)
    return [note]


def _repeats_note(wells: pd.DataFrame) -> list[str]:
    """Say when a protein sits in more than one sample well of a plate.

    Each well counts as a replicate (docs/input.md), which is right for independent wells
    but overstates the df and the significance of technical duplicates pipetted from one
    tube. 10 ms on a million wells (integer codes, one ``bincount``).
    """
    sample = np.flatnonzero(is_value(wells[C.ROLE], C.SAMPLE))
    if not sample.size:
        return []
    plate, plates = key_codes(wells[C.PLATE], sample)
    protein, proteins = key_codes(wells[C.PROTEIN], sample)
    ids, size = combine_codes([plate, protein], [len(plates) + 2, len(proteins) + 2])
    many = np.bincount(ids, minlength=size) > 1
    if not many.any():
        return []
    first = sample[many[ids]]
    pairs = (
        wells[C.PROTEIN].iloc[first].astype(str) + " on " + wells[C.PLATE].iloc[first].astype(str)
    ).drop_duplicates()
    n_proteins = wells[C.PROTEIN].iloc[first].nunique()
    return [
        f"{n_proteins} protein(s) sit in more than one sample well of a plate "
        f"({', '.join(pairs.head(3))}{', ...' if len(pairs) > 3 else ''}): each well counts "
        "as a replicate, which overstates the df and significance of technical duplicates "
        "from one tube; average such wells per plate first if that is what they are"
    ]


def _same_gene_note(hits: pd.DataFrame) -> list[str]:
    """Say when one context holds a gene under two names (tested apart, as named).

    Proteins are grouped as the table names them: ``aFGF`` on one plate and ``FGF1`` on
    another are two proteins with fewer replicates each. A library may hold two reagents of
    one gene on purpose, so this is a note, not an error.
    """
    hits = hits[hits["n_wells"].to_numpy() > 0]  # the proteins on each context's plates
    named = hits[[C.SYMBOL, C.PROTEIN]].dropna()
    named = named[named[C.SYMBOL].astype(str) != ""].drop_duplicates()
    shared = named[named.duplicated(C.SYMBOL, keep=False)]
    if shared.empty:  # the usual case: every gene under one name
        return []
    rows = hits[hits[C.SYMBOL].isin(shared[C.SYMBOL])]
    per_context = rows.groupby([C.CELL_LINE, C.TREATMENT, C.SYMBOL], observed=True)[C.PROTEIN]
    names = per_context.agg(lambda p: sorted(set(map(str, p))))
    names = names[names.map(len) > 1]
    if names.empty:
        return []
    genes = names.groupby(level=C.SYMBOL).first()
    shown = "; ".join(f"{' and '.join(v)} ({k})" for k, v in list(genes.items())[:5])
    more = f" and {len(genes) - 5} more" if len(genes) > 5 else ""
    return [
        f"{len(genes)} gene(s) appear under more than one name in a context and are tested "
        f"apart, each with its own wells: {shown}{more}; if they are the same reagent, give "
        "it one name in the table"
    ]


def _spatial_note(qc: pd.DataFrame) -> list[str]:
    """Advice to use B-score when most drug-arm plates show row/column patterns.

    Strong plate patterns make the default test call false hits (docs/formulas.md section 7:
    per-plate gradients of SD 1.0 gave an empirical FDR of 0.10; with B-score 0.00).
    """
    drug = qc[(qc[C.ARM] == C.ARM_DRUG) & (qc["n_samples"] > 0)]
    n = int(spatial_pattern(drug).sum())
    if len(drug) == 0 or 2 * n < len(drug):
        return []
    return [
        f"{n} of {len(drug)} drug-arm plates show row/column patterns in their sample wells; "
        "such patterns can make the default test call false hits: rerun with --spatial bscore "
        "(docs/formulas.md, section 7)"
    ]


def _add_pooled(
    hits: pd.DataFrame, scored: pd.DataFrame, cfg: RankConfig, notes: list[str], sign: int = 1
) -> pd.DataFrame:
    """Append pooled rows (``cell_line = "pooled"``) when needed.

    Pooling happens with ``pool="cell_line"``, or with ``pool="auto"`` when the contexts
    have one replicate per protein.
    """
    from secretome_rank.pooled import needs_pooling, pooled_stats

    if cfg.pool == "none" or (cfg.pool == "auto" and not needs_pooling(scored)):
        return hits
    if cfg.pool == "auto":
        note = (
            "contexts have one replicate per protein: cell lines were pooled as replicates "
            "per drug (rows with cell_line 'pooled'; --pool none to switch off)"
        )
        notes.append(note)
        warn(note)
    pooled = pooled_stats(
        scored,
        fdr=cfg.fdr,
        min_rescue=cfg.min_rescue,
        alternative=cfg.alternative,
        adjust=cfg.adjust,
        robust=cfg.robust,
        sign=sign,
    ).drop(columns=[C.SYMBOL, C.RECEPTORS, C.RANK], errors="ignore")
    return pd.concat([hits, pooled], ignore_index=True)


def _check_expression_options(expression: pd.DataFrame | None, threshold: float) -> None:
    """Check the expression options before the work (they are used at its end)."""
    from secretome_rank.receptors.annotation import check_expression

    if not is_number(threshold) or not math.isfinite(threshold):
        raise ConfigError(f"expression_threshold={threshold!r}: expected a finite number")
    if expression is not None:
        check_expression(expression)


def _receptor_resource(resource: pd.DataFrame | str | Path | None, mode: str) -> pd.DataFrame:
    """The ligand-receptor table of this run (bundled, external, or their union)."""
    from secretome_rank.receptors import load_resource

    return load_resource(resource, mode=mode)  # type: ignore[arg-type]


def _add_receptors(
    hits: pd.DataFrame, table: pd.DataFrame, expression: pd.DataFrame | None, threshold: float
) -> pd.DataFrame:
    """Add names and receptors to every protein of the hits table.

    Columns ``symbol``, ``resolution``, ``candidates``, ``receptors``, ``receptor_families``,
    ``n_resources``, ``receptor_status`` (and ``receptor_expressed`` with an expression table).
    """
    from secretome_rank.receptors import annotate, receptor_expressed

    names = pd.DataFrame({C.PROTEIN: pd.Series(hits[C.PROTEIN].unique(), dtype="str")})
    ann = annotate(names, column=C.PROTEIN, resource=table)
    keep = [
        C.PROTEIN,
        C.SYMBOL,
        "resolution",
        "candidates",
        C.RECEPTORS,
        "receptor_families",
        "n_resources",
        "receptor_status",
    ]
    out = hits.drop(columns=[c for c in keep[1:] if c in hits.columns])
    out = _left_join(out, ann[keep], [C.PROTEIN])
    if expression is not None:
        lines = set(hits[C.CELL_LINE].astype(str)) - {"pooled"}
        absent = sorted(lines - set(expression[C.CELL_LINE].astype(str)))
        if absent:
            more = f" and {len(absent) - 5} more" if len(absent) > 5 else ""
            warn(
                f"the expression table has no cell line {', '.join(absent[:5])}{more}: "
                "receptor_expressed is NA there"
            )
        # the signalling receptors decide: a line without MET is not an HGF line because it
        # expresses the co-receptor CD44
        from secretome_rank.receptors.table import RANK_ROLES

        sig = annotate(names, column=C.PROTEIN, resource=table, roles=RANK_ROLES)
        out = _left_join(
            out,
            sig[[C.PROTEIN, C.RECEPTORS]].rename(columns={C.RECEPTORS: "_signalling"}),
            [C.PROTEIN],
        )
        out = receptor_expressed(
            out, expression, threshold=threshold, receptors_column="_signalling"
        ).drop(columns="_signalling")
    return out


def _rank_receptors(
    hits: pd.DataFrame,
    table: pd.DataFrame,
    fdr: float,
    alternative: str = "greater",
    adjust: str = "bh",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from secretome_rank.receptors import rank_receptors_and_families

    # the proteins on each context's plates, tested or not: n_ligands counts them all and
    # n_tested those with a p-value (a protein of another context's plates is left out)
    on_plates = hits[hits["n_wells"].to_numpy() > 0]
    if alternative == "two-sided":
        on_plates = _rescue_view(on_plates, adjust)
    return rank_receptors_and_families(on_plates, fdr=fdr, resource=table)


def _rescue_view(hits: pd.DataFrame, adjust: str) -> pd.DataFrame:
    """A two-sided run's hits as receptor ranking reads them: evidence of rescue only.

    Receptors are ranked by the rescue evidence of their ligands (one-sided p): a
    two-sided p would rank a receptor whose ligand sensitizes (GAL -> GALR1) as a rescue
    receptor. The one-sided p is ``p/2`` where t > 0, else ``1 - p/2``; its q-values are
    adjusted within each context as the run's (``adjust``), and only rescue hits count as
    hit ligands.
    """
    one = rescue_p(hits[C.P_VALUE].to_numpy(dtype=float), hits[C.T].to_numpy(dtype=float))
    view = hits.copy(deep=False)
    view[C.P_VALUE] = one
    tested = ~np.isnan(one)
    q = np.full(one.shape, np.nan)
    if tested.any():
        ctx = context_codes(hits)[tested]
        q[tested] = adjust_by_group(one[tested], ctx, method=adjust)
    view[C.Q_VALUE] = q
    view[C.IS_HIT] = hits[C.IS_HIT].to_numpy(dtype=bool) & (
        hits[C.DIRECTION].astype(str).to_numpy() == C.UP
    )
    return view
