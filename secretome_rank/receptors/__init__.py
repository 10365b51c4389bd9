"""Map secreted proteins to their cognate receptors, and rank receptors per screen context.

* :func:`load_ligand_receptor_table` / :func:`load_resource` / :func:`read_resource`: the bundled
  curated table (``data/ligand_receptor.tsv``, built by ``scripts/build_lr_table.py``) and
  loaders for external resources (CellPhoneDB v5 folder, liana/OmniPath CSV, CellChatDB
  ``interaction_input.csv``, plain ligand/receptor table), replacing or extending the bundled one.
* :func:`annotate`: adds ``symbol``, ``resolution``, ``receptors``, ``receptor_families``,
  ``n_resources`` and ``receptor_status`` to a table of protein names.
* :func:`receptor_table`: one row per query x receptor (the ``receptors NAME...`` command).
* :func:`rank_receptors` / :func:`rank_receptor_families`: receptor- and family-level evidence
  from a hits table (ligands in the library, hit ligands, best ligand, combined p and its FDR).
* :func:`receptor_expressed`: flags receptors a cell line does not express.

A receptor is written as its subunits joined with ``+`` in sorted order (``IL6R+IL6ST``); several
receptors in one cell are separated with ``;``.

Modules, one per stage: ``table`` (the bundled table, families, roles and column names),
``loaders`` (external resources), ``annotation`` (names -> receptors, expression), ``combine``
(p-value combination kernels), ``grouping`` (sorting and grouping kernels on integer codes),
``expansion`` (hits -> the long context x protein x receptor table) and ``ranking`` (receptor and
family evidence from it). Per-context FDR is :func:`secretome_rank.multitest.bh_grouped`.
"""

from __future__ import annotations

from secretome_rank.receptors.annotation import annotate, receptor_expressed, receptor_table
from secretome_rank.receptors.combine import (
    COMBINE_METHODS,
    CombineMethod,
    combine_pvalues_grouped,
)
from secretome_rank.receptors.loaders import load_resource, read_resource
from secretome_rank.receptors.ranking import (
    rank_receptor_families,
    rank_receptors,
    rank_receptors_and_families,
)
from secretome_rank.receptors.table import (  # noqa: F401  (re-exported constants)
    AMBIGUOUS_NAME,
    ANTAGONIST,
    BEST_LIGAND,
    BEST_Q,
    BEST_RESCUE_PCT,
    CO_RECEPTOR,
    CO_RECEPTOR_GENES,
    COMBINE_METHOD,
    COMBINED_P,
    COMBINED_Q,
    CURATOR_NOTE,
    DECOY,
    DECOY_GENES,
    DEFAULT_ROLES,
    EXPRESSED_RECEPTORS,
    FAMILY_RULES,
    GENE,
    HIT_LIGANDS,
    IS_RECEPTOR_HIT,
    KNOWN_RECEPTOR,
    LIGAND,
    LIGAND_COMPLEX,
    LIGANDS,
    LR_COLUMNS,
    N_HIT_LIGANDS,
    N_LIGANDS,
    N_RECEPTORS,
    N_RESOURCES,
    N_TESTED,
    NO_KNOWN_RECEPTOR,
    RANK_ROLES,
    RECEPTOR,
    RECEPTOR_EXPRESSED,
    RECEPTOR_FAMILIES,
    RECEPTOR_FAMILY,
    RECEPTOR_ROLE,
    RECEPTOR_STATUS,
    REFERENCE,
    RESOURCE_FORMATS,
    RESOURCE_MODES,
    RESOURCES,
    ROLES,
    SIGNALLING,
    SUMMARY,
    UNKNOWN_NAME,
    CombineName,
    ResourceFormat,
    ResourceMode,
    load_ligand_receptor_table,
    receptor_family,
    receptor_role,
)

__all__ = [
    "COMBINE_METHODS",
    "CombineMethod",
    "annotate",
    "combine_pvalues_grouped",
    "load_ligand_receptor_table",
    "load_resource",
    "rank_receptor_families",
    "rank_receptors_and_families",
    "rank_receptors",
    "read_resource",
    "receptor_expressed",
    "receptor_family",
    "receptor_role",
    "receptor_table",
]
