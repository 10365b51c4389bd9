"""QC on real plate-reader data (../shared/real_plates; skipped when absent)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from conftest import SHARED

import secretome_rank as sr
from secretome_rank.importers import import_cellhts2, import_plates
from secretome_rank.normalize import normalize_plates
from secretome_rank.qc import plate_qc

REAL = SHARED / "real_plates"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real_plates not available")


def _qc(wells: pd.DataFrame) -> pd.DataFrame:
    scored, params = normalize_plates(sr.read_screen(wells))
    return plate_qc(scored, params).set_index("plate")


def test_drugscreenexplorer_qc_flags_known_cases():
    folder = REAL / "drugscreenexplorer"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # several grids per file: the first is used
        wells = import_plates(
            sorted((folder / "rawData").glob("*.txt")),
            plate_map=folder / "wellAnno" / "wellAnno.csv",
            plate_list=folder / "plateAnno" / "plateAnno.csv",
            list_columns={"cell_line": "sampleID"},
            role_map={"DMSO": "vehicle_control", "PBS": "vehicle_control"},
            defaults={"treatment": "none"},
        )
    qc = _qc(wells)
    assert len(qc) == 16 and set(qc["verdict"]) <= {"pass", "warn", "fail"}
    # no kill control in this layout: Z' is undefined and said so
    assert qc["robust_z_prime"].isna().all()
    assert qc["reason"].str.contains("Z' not available").all()
    edge = qc.index[qc["reason"].str.contains("edge effect")]
    gradient = qc.index[qc["reason"].str.contains("left/right gradient")]
    assert any("P0024_14PB0550" in p for p in edge)
    assert list(gradient) == [p for p in qc.index if "P0014_15PB0031" in p]


def test_kccelltiter_and_twowayassay_qc():
    kc, _ = import_cellhts2(
        REAL / "cellhts2" / "KcCellTiter",
        role_map={"PosSpike": "vehicle_control", "PosBarcode": "vehicle_control"},
    )
    with pytest.warns(
        UserWarning, match="column 'treatment' is empty in every row"
    ):  # cellHTS2 has no treatment
        qc = _qc(kc)
    assert len(qc) == 6 and qc["robust_z_prime"].notna().all()
    two, _ = import_cellhts2(
        REAL / "cellhts2" / "TwoWayAssay",
        role_map={
            "mock": "drug_control",
            "GFP": "drug_control",
            "AATK": "vehicle_control",
            "MAP2K6": "sample",
        },
    )
    with pytest.warns(UserWarning, match="column 'treatment' is empty in every row"):
        qc2 = _qc(two)
    assert len(qc2) == 2 and (two.groupby("plate").size() == 96).all()
