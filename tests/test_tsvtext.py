"""TSV text without pyarrow: the same bytes as Arrow's writer, numbers exact."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from secretome_rank import writers
from secretome_rank.tsvtext import _arrow_notation, float_text, write_text_tsv


def _arrow_text(values: np.ndarray) -> list[str]:
    """Floats as pyarrow's CSV writer formats them (the reference)."""
    pa = pytest.importorskip("pyarrow")
    pacsv = pytest.importorskip("pyarrow.csv")
    buf = pa.BufferOutputStream()
    table = pa.table({"x": pa.array(values, from_pandas=True)})
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", null_string="NA")
    pacsv.write_csv(table, buf, write_options=options)
    return buf.getvalue().to_pybytes().decode().split("\n")[:-1]


def _tricky_floats() -> np.ndarray:
    rng = np.random.default_rng(7)
    powers = 10.0 ** np.arange(-330, 309).astype(float)
    return np.concatenate(
        [
            rng.integers(0, 2**64, 200_000, dtype=np.uint64).view(np.float64),  # any double
            rng.normal(size=20_000),
            10.0 ** rng.uniform(-12, 25, 20_000),
            -(10.0 ** rng.uniform(-12, 25, 20_000)),
            np.round(rng.uniform(-1e12, 1e12, 20_000)),
            powers,
            np.nextafter(powers, 0),
            np.nextafter(powers, np.inf),
            [0.0, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, 2.0**53, 2.0**53 + 2],
            [9999999999.0, 9999999999.5, 1e10, 1e-4, 9.999999999999999e-5, 1e-6, 1e-7],
        ]
    )


def test_floats_are_written_as_arrow_writes_them():
    x = _tricky_floats()
    assert float_text(x) == _arrow_text(x)


def test_float32_columns_are_written_as_arrow_writes_them():
    with np.errstate(over="ignore", invalid="ignore"):
        y = _tricky_floats().astype(np.float32)
    assert float_text(y) == _arrow_text(y)


def test_arrow_notation_without_pyarrow():
    x = np.array([0.0, -0.0, 1.0, 100.0, -125.0, 1e9, 1e10, 1.5e10, 1e15, 1e16, 1.5e300])
    assert float_text(x) == [
        "0", "-0", "1", "100", "-125", "1000000000",
        "1e+10", "1.5e+10", "1e+15", "1e+16", "1.5e+300",
    ]  # fmt: skip
    x = np.array([0.1, 1e-4, 1.5e-5, 1e-6, 1.5e-6, 1e-7, 2.546432583086928e-11, 5e-324])
    assert float_text(x) == [
        "0.1", "0.0001", "0.000015", "0.000001", "0.0000015", "1e-7",
        "2.546432583086928e-11", "5e-324",
    ]  # fmt: skip
    assert float_text(np.array([np.nan, np.inf, -np.inf])) == ["NA", "inf", "-inf"]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_reads_back_to_itself(v):
    (text,) = float_text(np.array([v]))
    assert float(text) == v and np.signbit(float(text)) == np.signbit(v)
    assert "e-0" not in text and "e+0" not in text and not text.endswith(".0")
    assert _arrow_notation(repr(v)) == text


def _mixed_frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "rescue_pct": np.where(rng.random(n) < 0.1, np.nan, rng.normal(50, 30, n)),
            "p_value": rng.random(n) ** 12,
            "df": np.repeat(rng.normal(9, 1, 3), [n - 2 * (n // 3), n // 3, n // 3]),
            "reading": np.round(rng.uniform(0, 60000, n)),
            "n": rng.integers(1, 4, n),
            "count": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 9, n)), "Int64"),
            "is_hit": rng.random(n) < 0.3,
            "flag": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
            "protein": pd.Categorical(rng.choice(["HGF", "NRG1", None], n)),
            "note": rng.choice(["", "ok", None, "a b"], n),
        }
    )


def test_a_table_is_the_same_bytes_as_arrows(monkeypatch):
    pytest.importorskip("pyarrow")
    frame = _mixed_frame()
    fast = writers.tsv_bytes(frame)
    buf = io.BytesIO()
    write_text_tsv(frame, buf)
    assert buf.getvalue() == fast
    # and through the writer's own fallback (no pyarrow): chunked, shared labels and all
    monkeypatch.setattr(writers, "_arrow_table", lambda f: None)
    monkeypatch.setattr("secretome_rank.tsvtext._CHUNK_ROWS", 7)
    assert writers.tsv_bytes(frame) == fast


def test_a_quoted_cell_changes_no_number(tmp_path):
    # arrow refuses a tab in a cell; the text writer quotes it and writes the numbers alike
    frame = pd.DataFrame(
        {"protein": ["a\tb", 'say "hi"', "c"], "p": [1e-7, 100.0, 1.5e-5], "x": [1, 2, 3]}
    )
    writers.write_table(frame, tmp_path / "q.tsv")
    text = (tmp_path / "q.tsv").read_text()
    assert text == 'protein\tp\tx\n"a\tb"\t1e-7\t1\n"say ""hi"""\t100\t2\nc\t0.000015\t3\n'
    back = pd.read_csv(tmp_path / "q.tsv", sep="\t")
    assert back["protein"].tolist() == frame["protein"].tolist()
    assert back["p"].tolist() == frame["p"].tolist()


def test_a_column_name_that_needs_quotes_is_quoted():
    buf = io.BytesIO()
    write_text_tsv(pd.DataFrame({'"q" line': [1.0], "b": ["x"]}), buf)
    assert buf.getvalue() == b'"""q"" line"\tb\n1\tx\n'


def test_mixed_object_cells_take_their_own_type():
    frame = pd.DataFrame({"m": pd.Series([1.5e-7, "x", None, True, 3, np.nan], dtype=object)})
    buf = io.BytesIO()
    write_text_tsv(frame, buf)
    assert buf.getvalue().decode().splitlines() == ["m", "1.5e-7", "x", "NA", "true", "3", "NA"]
    # equal as keys, not as text: repeated values of mixed types are not labelled by value
    frame = pd.DataFrame({"m": pd.Series([True, 1, 1.0] * 4, dtype=object)})
    buf = io.BytesIO()
    write_text_tsv(frame, buf)
    assert buf.getvalue().decode().split()[1:] == ["true", "1", "1"] * 4


def test_negative_zero_survives_repeated_values():
    # -0.0 and 0.0 hash alike: a column with both must not share one label
    x = np.array([0.0, -0.0] * 10)
    buf = io.BytesIO()
    write_text_tsv(pd.DataFrame({"z": x}), buf)
    assert buf.getvalue().decode().split()[1:] == ["0", "-0"] * 10


def test_categorical_columns_give_the_same_bytes_as_text(monkeypatch):
    # categoricals go to Arrow's writer as dictionaries where it takes them: the bytes
    # equal those of the decoded text and of the writer without pyarrow, NA and an unused
    # category holding a tab included; a used one with a tab still gets quoted
    pytest.importorskip("pyarrow")
    cats = pd.Categorical(["P1", None, "P2", "P1"], categories=["P1", "P2", "x\ty"])
    frame = pd.DataFrame({"plate": cats, "v": [1.5, np.nan, 2.0, 1e-7]})
    as_text = frame.assign(plate=frame["plate"].astype(object))
    assert writers._writes_dictionaries()
    dictionary = writers.tsv_bytes(frame)
    assert dictionary == b"plate\tv\nP1\t1.5\nNA\tNA\nP2\t2\nP1\t1e-7\n"
    assert dictionary == writers.tsv_bytes(as_text)
    text = io.BytesIO()
    write_text_tsv(frame, text)
    assert text.getvalue() == dictionary
    monkeypatch.setattr(writers, "_writes_dictionaries", lambda: False)  # an older pyarrow
    assert writers.tsv_bytes(frame) == dictionary
    monkeypatch.undo()
    quoted = frame.assign(plate=pd.Categorical(["x\ty", "P1", "P1", "P1"]))
    assert writers.tsv_bytes(quoted).splitlines()[1] == b'"x\ty"\t1.5'
