"""Plate QC of the control order (vehicle above drug) and options that need well ids."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED
from typer.testing import CliRunner

import secretome_rank as sr
from secretome_rank.cli import app
from secretome_rank.errors import SchemaError
from secretome_rank.normalize import normalize_plates
from secretome_rank.normalize_cellhts2 import cellhts2_scores
from secretome_rank.qc import plate_qc

runner = CliRunner()
SWAPPED = "vehicle controls not above drug controls (median V "
SWAP_CAUSE = "roles swapped, or the drug had no effect"
INVERTED = "vehicle controls below drug controls on every drug-arm plate"


@pytest.fixture(scope="module")
def screen() -> pd.DataFrame:
    wells, _ = sr.simulate_screen(
        seed=1, n_proteins=40, cell_lines=("A375",), drugs=("vemurafenib",)
    )
    return wells


def _swap(wells: pd.DataFrame, plates) -> pd.DataFrame:
    """The wells with drug and vehicle control roles exchanged on ``plates``."""
    out = wells.copy()
    on = out["plate"].isin(list(plates))
    drug, vehicle = on & (out["role"] == "drug_control"), on & (out["role"] == "vehicle_control")
    out.loc[drug, "role"] = "vehicle_control"
    out.loc[vehicle, "role"] = "drug_control"
    return out


def _qc(wells: pd.DataFrame) -> pd.DataFrame:
    scored, params = normalize_plates(sr.read_screen(wells))
    return plate_qc(scored, params).set_index("plate")


def _plates(wells: pd.DataFrame, arm_word: str) -> list[str]:
    return sorted(wells.loc[wells["treatment"] == arm_word, "plate"].unique())


# --- defect 1: swapped controls ----------------------------------------------------------------
def test_swapped_roles_fail_on_drug_plate_not_on_vehicle_plate(screen):
    before = _qc(screen)
    # simulated plates have their controls in order: no plate flagged for it
    assert not before["reason"].str.contains("vehicle controls").any()
    assert (before["verdict"] != "fail").all()
    drug_plate = _plates(screen, "vemurafenib")[0]
    vehicle_plate = _plates(screen, "DMSO")[0]
    qc = _qc(_swap(screen, [drug_plate, vehicle_plate]))
    row = qc.loc[drug_plate]
    assert row["verdict"] == "fail"
    assert row["reason"].startswith(SWAPPED) and row["reason"].endswith(SWAP_CAUSE)
    # the medians of the reason are the plate's, two significant digits
    v, d = row["vehicle_median"], row["drug_median"]
    assert v < d
    assert f"V {v:.1e} < D {d:.1e}".replace("e+0", "e") in row["reason"]
    # vehicle-arm plates are scored against V alone: their control order is not checked
    assert "vehicle controls" not in qc.loc[vehicle_plate, "reason"]
    assert qc.loc[vehicle_plate, "verdict"] != "fail"
    # every other plate keeps its verdict and reason
    others = qc.index.difference([drug_plate, vehicle_plate])
    pd.testing.assert_series_equal(qc.loc[others, "reason"], before.loc[others, "reason"])


def test_swapped_roles_fail_through_rank_screen(screen):
    drug_plate = _plates(screen, "vemurafenib")[1]
    res = sr.rank_screen(_swap(screen, [drug_plate]))
    qc = res.qc.set_index("plate")
    assert qc.loc[drug_plate, "verdict"] == "fail"
    assert SWAP_CAUSE in qc.loc[drug_plate, "reason"]
    assert (qc.drop(index=drug_plate)["verdict"] != "fail").all()
    assert any("1 plate(s) failed QC" in n for n in res.notes)


def test_drug_without_effect_fails_with_both_reasons(screen):
    plate = _plates(screen, "vemurafenib")[0]
    wells = screen.copy()
    on = wells["plate"] == plate
    v = wells.loc[on & (wells["role"] == "vehicle_control"), "value"].to_numpy()
    d = on & (wells["role"] == "drug_control")
    wells.loc[d, "value"] = np.resize(v, int(d.sum()))  # the drug did nothing: D reads as V
    row = _qc(wells).loc[plate]
    assert row["drug_median"] == pytest.approx(row["vehicle_median"])
    assert row["verdict"] == "fail"
    # fail reasons in their order, then warnings; "; "-joined
    reasons = row["reason"].split("; ")
    assert reasons[0] == "controls do not separate (robust Z' < 0)"
    assert reasons[1].startswith(SWAPPED) and " <= D " in reasons[1]


def test_screen_inverted_throughout_warns_not_fails(screen):
    drug_plates = _plates(screen, "vemurafenib")
    qc = _qc(_swap(screen, drug_plates))
    assert qc.loc[drug_plates, "reason"].str.contains(INVERTED, regex=False).all()
    assert (qc.loc[drug_plates, "verdict"] == "warn").all()
    assert not qc.loc[_plates(screen, "DMSO"), "reason"].str.contains("vehicle controls").any()


def test_equal_medians_fail_even_when_all_plates_read_so():
    d = [100.0, 101.0, 99.0, 100.0]
    wells = pd.DataFrame(
        {
            "plate": "P",
            "well": ["A01", "B01", "C01", "D01", "A24", "B24", "C24", "D24", "E10", "F10"],
            "value": [*d, *d, 50.0, 52.0],
            "role": ["drug_control"] * 4 + ["vehicle_control"] * 4 + ["sample"] * 2,
            "protein": [None] * 8 + ["X1", "X2"],
            "treatment": "drugX",
        }
    )
    row = _qc(wells).iloc[0]
    assert row["verdict"] == "fail"
    assert "(median V 1.0e2 <= D 1.0e2): roles swapped" in row["reason"]


def test_cli_qc_reports_swapped_plate(screen, tmp_path):
    drug_plate = _plates(screen, "vemurafenib")[0]
    path = tmp_path / "swapped.csv"
    _swap(screen, [drug_plate]).to_csv(path, index=False)
    r = runner.invoke(app, ["qc", str(path), "-f", "tsv"])
    assert r.exit_code == 0, r.output
    qc = pd.read_csv(pd.io.common.StringIO(r.stdout), sep="\t").set_index("plate")
    assert qc.loc[drug_plate, "verdict"] == "fail"
    assert SWAP_CAUSE in qc.loc[drug_plate, "reason"]


def test_real_kccelltiter_keeps_its_verdicts_and_says_inverted():
    folder = SHARED / "real_plates" / "cellhts2" / "KcCellTiter"
    if not folder.is_dir():
        pytest.skip("../shared/real_plates not available")
    from secretome_rank.importers import import_cellhts2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kc, _ = import_cellhts2(
            folder, role_map={"PosSpike": "vehicle_control", "PosBarcode": "vehicle_control"}
        )
    with pytest.warns(
        UserWarning, match="column 'treatment' is empty in every row"
    ):  # cellHTS2 has no treatment
        qc = _qc(kc)
    # the positive controls of this viability screen read low on every plate: warn, as
    # before, except the two plates whose controls do not separate (failing before too)
    assert qc["reason"].str.contains(INVERTED, regex=False).all()
    assert sorted(qc.index[qc["verdict"] == "fail"]) == ["KcCellTiter0607_1", "KcCellTiter0607_2"]


# --- defect 2: options that need well ids -------------------------------------------------------
@pytest.fixture(scope="module")
def no_wells(screen) -> pd.DataFrame:
    return screen.drop(columns="well")


def test_bscore_without_wells_is_a_schema_error(no_wells):
    with pytest.raises(SchemaError, match=r"needs well ids[\s\S]*drop --spatial bscore"):
        sr.rank_screen(no_wells, spatial="bscore")
    with pytest.raises(SchemaError, match="no 'well' column"):
        normalize_plates(sr.read_screen(no_wells), spatial="bscore")


def test_cellhts2_without_wells_is_a_schema_error(no_wells):
    with pytest.raises(SchemaError, match=r"cellhts2[\s\S]*needs well ids[\s\S]*controls"):
        sr.rank_screen(no_wells, normalization="cellhts2")
    scored, _ = normalize_plates(sr.read_screen(no_wells))
    with pytest.raises(SchemaError, match="needs well ids"):
        cellhts2_scores(scored)
    partial = scored.assign(well=scored["well"].astype(object))
    partial.loc[partial.index[:3], "well"] = "A01"
    with pytest.raises(SchemaError, match=r"\d+ of \d+ wells have no well id"):
        cellhts2_scores(partial)


def test_both_options_without_wells_reported_at_once(no_wells):
    with pytest.raises(SchemaError, match="2 problem") as err:
        sr.rank_screen(no_wells, spatial="bscore", normalization="cellhts2")
    assert len(err.value.problems) == 2


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("rank", ["--spatial", "bscore"]),
        ("rank", ["--normalization", "cellhts2"]),
        ("qc", ["--spatial", "bscore"]),
    ],
)
def test_cli_without_wells_exits_3_with_a_message(no_wells, tmp_path, command, options):
    path = tmp_path / "no_wells.csv"
    no_wells.to_csv(path, index=False)
    extra = ["--no-report", "--out", str(tmp_path / "o")] if command == "rank" else []
    r = runner.invoke(app, [command, str(path), *options, *extra, "-f", "tsv"])
    assert r.exit_code == 3, r.output
    assert "needs well ids" in r.output and "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
