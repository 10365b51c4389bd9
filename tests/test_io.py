from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_table

import secretome_rank as sr
from secretome_rank.errors import SchemaError
from secretome_rank.io import read_table


def test_all_problems_reported_at_once():
    df = tiny_table()
    df.loc[0, "role"] = "pos"
    df["value"] = df["value"].astype(object)
    df.loc[1, "value"] = "abc"
    df.loc[2, "value"] = -5
    df.loc[3, "value"] = float("inf")
    df.loc[4, "well"] = "Q99"
    df.loc[5, "well"] = "C07"  # duplicate of row 6
    df.loc[6, "protein"] = None
    with pytest.raises(SchemaError) as info:
        sr.read_screen(df)
    msg = str(info.value)
    for needle in [
        "'pos'",
        "row 0",  # a DataFrame's rows by position, as df.iloc
        "'abc'",
        "row 1",
        "negative",
        "infinite",
        "Q99",
        "duplicate",
        "without a protein",
        "--role-map",
    ]:
        assert needle in msg, needle
    assert len(info.value.problems) >= 7


def test_missing_columns_named():
    with pytest.raises(SchemaError, match="(?s)missing required column.*value.*--column"):
        sr.read_screen(tiny_table().drop(columns=["value"]))


def test_column_mapping_and_case():
    df = tiny_table().rename(columns={"value": "Luminescence", "plate": "PLATE"})
    wells = sr.read_screen(df, columns={"value": "luminescence"}).set_index("well")
    assert wells.loc[["A01", "B01"], "value"].tolist() == [10.0, 12.0]
    with pytest.raises(SchemaError, match="no column 'Lum'"):
        sr.read_screen(df, columns={"value": "Lum"})


def test_role_map():
    df = tiny_table()
    df["role"] = df["role"].replace({"drug_control": "neg", "vehicle_control": "pos"})
    wells = sr.read_screen(df, role_map={"neg": "drug_control", "pos": "vehicle_control"})
    assert (wells["role"] == "drug_control").sum() == 2


def test_wells_parsed_and_outside_format():
    df = tiny_table()
    df["well"] = ["a1", "B001", "A24", "B24", "C5", "C06", "C007"]
    wells = sr.read_screen(df)
    assert sorted(wells["well"].tolist()) == ["A01", "A24", "B01", "B24", "C05", "C06", "C07"]
    df.loc[4, "well"] = "Q05"
    with pytest.raises(SchemaError, match="outside a 384-well plate"):
        sr.read_screen(df)


def test_drug_plate_without_drug_controls_and_no_vehicle_reference():
    df = tiny_table()
    df = df[df["role"] != "drug_control"]
    with pytest.raises(SchemaError, match="without drug_control"):
        sr.read_screen(df)
    df = tiny_table()
    df = df[df["role"] != "vehicle_control"]
    with pytest.raises(SchemaError, match="no vehicle_control"):
        sr.read_screen(df)


def test_csv_bom_semicolon_decimal_comma(tmp_path):
    p = tmp_path / "s.csv"
    text = (
        "plate;well;value;role;protein\nP1;A1;10,5;drug_control;\n"
        "P1;A24;100,0;vehicle_control;\nP1;C5;50,25;sample;HGF\n"
    )
    p.write_bytes("\ufeff".encode() + text.encode())
    wells = sr.read_screen(p).set_index("well")
    assert wells.loc[["A01", "A24", "C05"], "value"].tolist() == [10.5, 100.0, 50.25]
    assert wells.columns[0] == "plate"


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".xlsx"])
def test_formats_round_trip(tmp_path, suffix):
    df = tiny_table()
    p = tmp_path / f"s{suffix}"
    if suffix == ".csv":
        df.to_csv(p, index=False)
    elif suffix == ".tsv":
        df.to_csv(p, sep="\t", index=False)
    elif suffix == ".parquet":
        df.to_parquet(p)
    else:
        df.to_excel(p, index=False)
    wells = sr.read_screen(p).set_index("well").loc[df["well"]]
    np.testing.assert_allclose(wells["value"], df["value"])
    assert wells["protein"].tolist()[4:] == ["HGF", "IL6", "CCL2"]


def test_empty_and_directory_and_not_utf8(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="empty"):
        sr.read_screen(empty)
    with pytest.raises(SchemaError, match="directory"):
        sr.read_screen(tmp_path)
    latin = tmp_path / "l.csv"
    latin.write_bytes("plate,value,role,protein\nP1,1,sample,IFN-\xe7\n".encode("latin-1"))
    with pytest.raises(SchemaError, match="UTF-8"):
        sr.read_screen(latin)
    header_only = tmp_path / "h.csv"
    header_only.write_text("plate,value,role\n")
    with pytest.raises(SchemaError, match="no data rows"):
        sr.read_screen(header_only)


def test_input_not_mutated_and_replicates_inferred(small_screen):
    wells, _ = small_screen
    copy = wells.copy()
    no_rep = wells.drop(columns=["replicate"])
    out = sr.read_screen(no_rep)
    pd.testing.assert_frame_equal(wells, copy)
    s = out[out["role"] == "sample"]
    assert s.groupby(["treatment", "protein"])["replicate"].nunique().max() == 3


def test_writers_agree_and_are_atomic(tmp_path, monkeypatch):
    from secretome_rank import writers as sio

    frame = pd.DataFrame(
        {
            "a": [1.5, np.nan, 1e-5],
            "b": ["x", None, "y z"],
            "c": [True, False, True],
            "d": pd.array([True, None, False], dtype="boolean"),
            "e": pd.Categorical(["u", None, "v"]),
        }
    )
    fast = sio.tsv_bytes(frame)
    monkeypatch.setattr(sio, "_arrow_table", lambda f: None)
    slow = sio.tsv_bytes(frame)
    a = pd.read_csv(__import__("io").BytesIO(fast), sep="\t")
    b = pd.read_csv(__import__("io").BytesIO(slow), sep="\t")
    pd.testing.assert_frame_equal(a, b)
    assert fast.splitlines()[0] == b"a\tb\tc\td\te"
    assert b"NA" in fast.splitlines()[2]

    target = tmp_path / "t.tsv"
    target.write_text("old")

    def boom(tmp):
        tmp.write_text("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        sio._atomic_write(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.tsv"]


def test_text_with_tab_is_quoted(tmp_path):
    from secretome_rank.io import write_table

    frame = pd.DataFrame({"protein": ["a\tb", "c"], "v": [1.0, 2.0]})
    write_table(frame, tmp_path / "x.tsv")
    back = pd.read_csv(tmp_path / "x.tsv", sep="\t")
    assert back["protein"].tolist() == ["a\tb", "c"]


def test_large_tables_written_in_parallel_slices_are_byte_identical(tmp_path, monkeypatch):
    from secretome_rank import writers as sio

    rng = np.random.default_rng(0)
    n = 1003
    frame = pd.DataFrame(
        {
            "v": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "k": pd.Categorical(rng.choice(["x", "y", None], size=n)),
            "b": rng.random(n) < 0.5,
            "t": rng.choice(["a\tb", "c", "d"], size=n),  # a tab forces the text writer (tsvtext)
        }
    )
    plain = frame.drop(columns="t")
    whole = sio.tsv_bytes(plain)
    monkeypatch.setattr(sio, "_ROWS_PER_SLICE", 100)
    sliced = sio.tsv_bytes(plain)
    assert sliced == whole
    assert len(whole.splitlines()) == n + 1
    # a cell that needs quoting in any slice sends the whole table to the text writer
    sio.write_table(frame, tmp_path / "q.tsv")
    back = pd.read_csv(tmp_path / "q.tsv", sep="\t", keep_default_na=False)
    assert back["t"].tolist() == frame["t"].tolist()


def test_streamed_file_equals_the_text_and_a_late_tab_rewrites_it_whole(tmp_path, monkeypatch):
    # one thread into a path: arrow streams batches into the file (no text held in memory)
    from secretome_rank import writers as sio

    monkeypatch.setattr(sio, "_BATCH_ROWS", 100)
    monkeypatch.setattr(sio, "_ROWS_PER_SLICE", 300)
    rng = np.random.default_rng(1)
    n = 1001
    frame = pd.DataFrame(
        {
            "v": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "k": pd.Categorical(rng.choice(["x", "y", None], size=n)),
            "t": rng.choice(["a", "b c"], size=n),
        }
    )
    expected = sio.tsv_bytes(frame)  # into memory: parallel slices
    for threads in (1, None):
        sio._write_tsv(frame, tmp_path / "s.tsv", threads)
        assert (tmp_path / "s.tsv").read_bytes() == expected
    # a cell that needs quoting in the last batch: arrow has streamed the batches before
    # it, and the text writer replaces that part with the whole table
    late = frame.assign(t=[*frame["t"][:-1], "tab\there"])
    sio._write_tsv(late, tmp_path / "late.tsv", 1)
    back = pd.read_csv(tmp_path / "late.tsv", sep="\t", keep_default_na=False)
    assert len(back) == n and back["t"].iloc[-1] == "tab\there"
    assert back["t"].tolist() == late["t"].tolist()


def test_background_table_commits_or_leaves_nothing(tmp_path):
    from secretome_rank.writers import BackgroundTable, tsv_bytes

    frame = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", "y"]})
    with BackgroundTable(tmp_path / "t.tsv") as job:
        job.submit(frame)
        frame.loc[0, "a"] = 99.0  # an edit after submit does not reach the file
        path = job.commit()
    assert path.read_bytes() == tsv_bytes(frame.assign(a=[1.0, np.nan]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.tsv"]

    other = tmp_path / "sub"
    with pytest.raises(RuntimeError, match="statistics failed"):
        with BackgroundTable(other / "u.tsv") as job:
            job.submit(frame)
            raise RuntimeError("statistics failed")
    assert not other.exists()  # no temporary file, no u.tsv, no folder made for them


def test_early_tables_match_the_plain_write(small_screen, tmp_path):
    from secretome_rank.report import EarlyTables, write_outputs

    for exclude_failed in (False, True):
        plain_dir = tmp_path / f"plain{exclude_failed}"
        early_dir = tmp_path / f"early{exclude_failed}"
        wells = small_screen[0]
        result = sr.rank_screen(wells, exclude_failed=exclude_failed)
        plain = write_outputs(result, plain_dir)
        with EarlyTables(early_dir) as early:
            again = sr.rank_screen(wells, exclude_failed=exclude_failed, on_table=early.hook)
            written = write_outputs(again, early_dir, early=early)
        assert early.names == ["wells", "hits", "receptors", "receptor_families"]
        assert [p.name for p in written] == [p.name for p in plain]
        for a, b in zip(plain, written, strict=True):
            if a.suffix == ".tsv":
                assert a.read_bytes() == b.read_bytes(), a.name
        assert not [p for p in early_dir.iterdir() if p.name.startswith(".")]


def _record_writes(monkeypatch, gate=None):
    """Patch the TSV writer to record (thread, table name, threads) of every table written.

    With ``gate``: the write of ``wells`` waits until the write of ``qc`` starts.
    """
    import threading

    from secretome_rank import writers

    calls = []
    plain = writers._write_tsv

    def record(frame, path, threads=None):
        name = path.name.split(".")[1]  # temporary files are .NAME.tsv.XXXX.tmp
        calls.append((threading.get_ident(), name, threads))
        if gate is not None:
            if name == "qc":
                gate.set()
            elif name == "wells":
                assert gate.wait(30)
        plain(frame, path, threads)

    monkeypatch.setattr(writers, "_write_tsv", record)
    return calls


def test_early_tables_format_on_one_thread_in_order(small_screen, tmp_path, monkeypatch):
    import threading

    from secretome_rank.report import EarlyTables, write_outputs

    calls = _record_writes(monkeypatch)
    with EarlyTables(tmp_path / "a") as early:
        sr.rank_screen(small_screen[0], on_table=early.hook)
        for name in early.names:
            early.commit(name)
    # one formatting thread (not the caller's) takes the tables one after the other
    assert [name for _, name, _ in calls] == ["wells", "hits", "receptors", "receptor_families"]
    assert len({ident for ident, _, _ in calls}) == 1
    assert calls[0][0] != threading.get_ident()
    assert {threads for _, _, threads in calls} == {1}
    # through write_outputs, whatever the thread had not started is written there: each once
    calls.clear()
    with EarlyTables(tmp_path / "b") as early:
        result = sr.rank_screen(small_screen[0], on_table=early.hook)
        written = write_outputs(result, tmp_path / "b", early=early)
    assert sorted(name for _, name, _ in calls) == sorted(p.stem for p in written[:-1])


def test_write_outputs_takes_back_tables_the_thread_has_not_started(
    small_screen, tmp_path, monkeypatch
):
    import threading

    from secretome_rank.report import EarlyTables, write_outputs

    wells = small_screen[0]
    plain = write_outputs(sr.rank_screen(wells), tmp_path / "plain")
    calls = _record_writes(monkeypatch, gate=threading.Event())
    out = tmp_path / "out"
    with EarlyTables(out) as early:
        result = sr.rank_screen(wells, on_table=early.hook)  # wells.tsv waits: the rest queue
        written = write_outputs(result, out, early=early)
    thread = calls[0][0]
    assert [name for ident, name, _ in calls if ident == thread] == ["wells"]
    taken = ("hits", "receptors", "receptor_families")  # each streamed on one thread, as there
    assert {threads for _, name, threads in calls if name in taken} == {1}
    assert sorted(name for _, name, _ in calls) == sorted(p.stem for p in written[:-1])
    for a, b in zip(plain, written, strict=True):
        if a.suffix == ".tsv":
            assert a.read_bytes() == b.read_bytes(), a.name
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)


def test_background_table_on_a_shared_thread_drops_a_queued_write(tmp_path):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from secretome_rank.writers import BackgroundTable

    gate = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        busy = pool.submit(gate.wait, 30)  # the shared thread is busy: the write below queues
        job = BackgroundTable(tmp_path / "q.tsv", executor=pool)
        job.submit(pd.DataFrame({"a": [1.0]}))
        job.discard()  # does not wait for the busy thread: the queued write is cancelled
        assert not list(tmp_path.iterdir())
        assert not busy.done()
        gate.set()
        assert pool.submit(lambda: 1).result() == 1  # the caller's executor is still usable
    finally:
        gate.set()
        pool.shutdown()


def test_early_tables_leave_nothing_when_the_run_fails(small_screen, tmp_path):
    from secretome_rank.report import EarlyTables

    out = tmp_path / "out"
    seen = []

    def hook(name, frame):
        early.hook(name, frame)
        seen.append(name)
        if name == "receptors":
            raise RuntimeError("summary failed")

    with pytest.raises(RuntimeError, match="summary failed"):
        with EarlyTables(out) as early:
            sr.rank_screen(small_screen[0], on_table=hook)
    assert seen == ["wells", "hits", "receptors"]
    assert not out.exists()  # no temporary files, no folder made for them


@pytest.mark.parametrize(
    ("early", "late"),
    [
        ("001", "P2"),  # plate names: numbers in the first chunk, text later
        ("1.5", "abc"),  # a value column with text far down the file
        ("", "HGF"),  # a column empty in the first chunk
        ("True", "x"),
    ],
)
def test_column_types_do_not_depend_on_parser_chunks(tmp_path, early, late):
    # pandas' C parser types each chunk of rows (65,536 rows at 8 columns) on its own;
    # read_table must give what one read of the whole file gives
    n, cut = 70_000, 66_000
    first = np.where(np.arange(n) < cut, early, late)
    lines = [f"{a},{i},x,y,z,1,2,3" for i, a in enumerate(first)]
    path = tmp_path / "mixed.csv"
    path.write_text("a,b,c,d,e,f,g,h\n" + "\n".join(lines) + "\n")
    got = read_table(path)
    want = pd.read_csv(path, low_memory=False)
    pd.testing.assert_frame_equal(got, want)
    with pytest.warns(pd.errors.DtypeWarning):  # the file does exercise the fallback
        pd.read_csv(path)


def _plate_of(n_rows, n_cols, plate="P1"):
    """A full plate: controls in the first and last column, samples elsewhere."""
    from secretome_rank.layout import row_letters

    rows = row_letters(n_rows)
    wells, roles, proteins = [], [], []
    for r in rows:
        for c in range(1, n_cols + 1):
            wells.append(f"{r}{c:02d}")
            role = "drug_control" if c == 1 else "vehicle_control" if c == n_cols else "sample"
            roles.append(role)
            proteins.append(f"X{len(wells)}" if role == "sample" else None)
    value = np.where(np.array(roles) == "drug_control", 10.0, 100.0) + np.arange(len(wells)) % 7
    return pd.DataFrame(
        {"plate": plate, "well": wells, "value": value, "role": roles, "protein": proteins}
    )


def test_one_mistyped_well_does_not_make_the_screen_1536_well():
    # found by a fresh-user audit: 'A25' made every plate 1536-well, silently (edge QC moved)
    table = pd.concat([_plate_of(16, 24, "P1"), _plate_of(16, 24, "P2")], ignore_index=True)
    assert sr.read_screen(table)["col"].max() == 24
    for typo in ("A25", "AF48"):
        bad = table.copy()
        bad.loc[100, "well"] = typo
        with pytest.raises(SchemaError, match=rf"outside a 384-well plate .*'{typo}'"):
            sr.read_screen(bad)
    # a 96-well screen with one well in column 13
    small = _plate_of(8, 12)
    small.loc[5, "well"] = "B13"
    with pytest.raises(SchemaError, match="outside a 96-well plate"):
        sr.read_screen(small)


def test_1536_and_96_well_screens_are_recognised():
    big = sr.read_screen(_plate_of(32, 48))
    assert (big["col"].max(), big["row"].max()) == (48, 32)
    small = sr.read_screen(_plate_of(8, 12))
    assert (small["col"].max(), small["row"].max()) == (12, 8)
    # a 384-well plate that uses columns 1-12 only, all 16 rows: 384, not 96 with errors
    half = _plate_of(16, 12)
    assert sr.read_screen(half)["row"].max() == 16
