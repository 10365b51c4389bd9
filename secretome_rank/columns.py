"""The one place where column names and allowed category values are spelled.

Every module imports names from here; tables passed between stages use exactly these.
"""

from __future__ import annotations

# --- input well table (DESIGN section 1) -------------------------------------------------
PLATE = "plate"
WELL = "well"
VALUE = "value"
ROLE = "role"
PROTEIN = "protein"
CELL_LINE = "cell_line"
TREATMENT = "treatment"
REPLICATE = "replicate"
CONCENTRATION = "concentration"
BATCH = "batch"

REQUIRED_INPUT = (PLATE, VALUE, ROLE)
OPTIONAL_INPUT = (WELL, PROTEIN, CELL_LINE, TREATMENT, REPLICATE, CONCENTRATION, BATCH)
INPUT_COLUMNS = (
    REQUIRED_INPUT[:2]
    + (WELL,)
    + REQUIRED_INPUT[2:]
    + (
        PROTEIN,
        CELL_LINE,
        TREATMENT,
        REPLICATE,
        CONCENTRATION,
        BATCH,
    )
)

# roles
SAMPLE = "sample"
DRUG_CONTROL = "drug_control"
VEHICLE_CONTROL = "vehicle_control"
EMPTY = "empty"
ROLES = (SAMPLE, DRUG_CONTROL, VEHICLE_CONTROL, EMPTY)

DEFAULT_CELL_LINE = "cells"
DEFAULT_VEHICLE_WORDS = ("dmso", "vehicle", "none", "pbs", "untreated", "control", "no drug")

# --- derived per-well columns (wells.tsv) ------------------------------------------------
ROW = "row"
COL = "col"
ARM = "arm"  # "drug" or "vehicle"
ARM_DRUG = "drug"
ARM_VEHICLE = "vehicle"
CONTEXT_TREATMENT = "context_treatment"  # the drug a vehicle plate serves as reference for
RESCUE_PCT = "rescue_pct"
LOG2_RATIO = "log2_ratio"
GROWTH_LOG2 = "growth_log2"
ROBUST_Z = "robust_z"
BSCORE = "bscore"
TEST_VALUE = "test_value"
NORM_METHOD = "norm_method"
FLAGS = "flags"
IS_OUTLIER = "is_outlier"

#: leading columns of the validated well table (read_screen), in this order
WELL_TABLE_COLUMNS = (
    PLATE,
    WELL,
    ROW,
    COL,
    VALUE,
    ROLE,
    PROTEIN,
    CELL_LINE,
    TREATMENT,
    REPLICATE,
    ARM,
)

# --- hits.tsv (DESIGN section 3) ---------------------------------------------------------
SYMBOL = "symbol"
N_REPLICATES = "n_replicates"
LOG2_FC = "log2_fc"
SSMD = "ssmd"
T = "t"
DF = "df"
P_VALUE = "p_value"
Q_VALUE = "q_value"
IS_HIT = "is_hit"
DIRECTION = "direction"
CLASS = "class"
RECEPTORS = "receptors"
RANK = "rank"
STATUS = "status"
INTERACTION_LOG2 = "interaction_log2"
INTERACTION_Q = "interaction_q"
#: columns the drug x vehicle interaction test adds (NaN without a vehicle arm)
INTERACTION_COLUMNS = (
    INTERACTION_LOG2,
    "interaction_t",
    "interaction_df",
    "interaction_p",
    INTERACTION_Q,
)

HITS_KEY = (CELL_LINE, TREATMENT, PROTEIN)
HITS_COLUMNS = (
    CELL_LINE,
    TREATMENT,
    PROTEIN,
    SYMBOL,
    N_REPLICATES,
    RESCUE_PCT,
    LOG2_FC,
    SSMD,
    T,
    DF,
    P_VALUE,
    Q_VALUE,
    IS_HIT,
    DIRECTION,
    CLASS,
    RECEPTORS,
    RANK,
)

# class values
CLASS_RESCUER = "rescuer"
CLASS_MITOGEN = "mitogen"
CLASS_SENSITIZER = "sensitizer"
CLASS_INACTIVE = "inactive"
CLASS_INSUFFICIENT = "insufficient_data"
CLASS_UNCONFIRMED = "rescue_unconfirmed"

# direction values
UP = "up"
DOWN = "down"
NONE = "none"

# --- qc.tsv ------------------------------------------------------------------------------
VERDICT = "verdict"
REASON = "reason"
PASS = "pass"
WARN = "warn"
FAIL = "fail"
