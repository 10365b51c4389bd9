"""Regenerate the bad-input corpus: python tests/bad_inputs/make_corpus.py

Each file is a broken input a user could really have; `expected.tsv` lists, per file, the
command-line arguments to use and a piece of the one message it must produce (exit code 3).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = "plate,well,value,role,protein,cell_line,treatment"


def good_rows(plate: str = "P1", treatment: str = "vemurafenib", line: str = "A375") -> list[str]:
    rows = []
    for r in "ABCD":
        rows.append(f"{plate},{r}01,1000,drug_control,,{line},{treatment}")
        rows.append(f"{plate},{r}24,9000,vehicle_control,,{line},{treatment}")
    for i, prot in enumerate(["HGF", "NRG1", "FGF2", "IL6", "CCL2", "EGF"]):
        rows.append(f"{plate},E{i + 3:02d},{2000 + 100 * i},sample,{prot},{line},{treatment}")
    return rows


def write(name: str, lines: list[str], *, encoding: str = "utf-8", end: str = "\n") -> None:
    (HERE / name).write_bytes(end.join(lines).encode(encoding) + end.encode(encoding))


def main() -> None:
    g = good_rows()
    write(
        "missing_value_column.csv",
        ["plate,well,role,protein"] + [",".join(r.split(",")[i] for i in (0, 1, 3, 4)) for r in g],
    )
    write("wrong_delimiter.csv", [HEADER.replace(",", "|")] + [r.replace(",", "|") for r in g])
    write("text_in_value.csv", [HEADER] + g[:-1] + ["P1,E09,lots,sample,TNF,A375,vemurafenib"])
    write(
        "mixed_decimal_commas.csv",
        [HEADER]
        + g[:-2]
        + [
            'P1,E09,"2100,5",sample,TNF,A375,vemurafenib',
            "P1,E10,2200.5,sample,IL1B,A375,vemurafenib",
        ],
    )
    write("negative_value.csv", [HEADER] + g[:-1] + ["P1,E09,-12,sample,TNF,A375,vemurafenib"])
    write("infinite_value.csv", [HEADER] + g[:-1] + ["P1,E09,inf,sample,TNF,A375,vemurafenib"])
    write("duplicate_wells.csv", [HEADER] + g + [g[-1].replace("EGF", "TGFA")])
    write("well_outside_plate.csv", [HEADER] + g + ["P1,Q05,2000,sample,TNF,A375,vemurafenib"])
    write("malformed_well.csv", [HEADER] + g + ["P1,5E,2000,sample,TNF,A375,vemurafenib"])
    write(
        "plate_with_only_samples.csv",
        [HEADER] + g + [r.replace("P1", "P2") for r in g if ",sample," in r],
    )
    write(
        "context_without_controls.csv",
        [HEADER]
        + g
        + [r.replace("P1", "P3").replace("A375", "SKMEL28") for r in g if ",sample," in r],
    )
    write("missing_protein.csv", [HEADER] + g + ["P1,E20,2000,sample,,A375,vemurafenib"])
    write("unknown_role.csv", [HEADER] + g + ["P1,E20,2000,positive,,A375,vemurafenib"])
    write("empty_role.csv", [HEADER] + g + ["P1,E20,2000,,HGF,A375,vemurafenib"])
    write(
        "latin1_encoding.csv",
        [HEADER] + g + ["P1,E20,2000,sample,IFN-\u03b3 \u00e9,A375,vemurafenib"],
        encoding="latin-1",
        end="\n",
    ) if False else (HERE / "latin1_encoding.csv").write_bytes(
        (
            "\n".join([HEADER, *g, "P1,E20,2000,sample,Interf\u00e9ron,A375,vemurafenib"]) + "\n"
        ).encode("latin-1")
    )
    (HERE / "empty_file.csv").write_bytes(b"")
    write("header_only.csv", [HEADER])
    # a plate's drug controls are there but were not read: they anchor nothing
    write(
        "controls_without_readings.csv",
        [HEADER]
        + g
        + [r.replace("P1", "P2").replace(",1000,drug_control", ",,drug_control") for r in g],
    )
    write("vehicle_arm_only.csv", [HEADER] + [r.replace("vemurafenib", "DMSO") for r in g])
    write("two_value_columns.csv", [HEADER + ",Value"] + [r + ",5" for r in g])
    write("drug_column_unmapped.csv", [HEADER.replace("treatment", "Drug")] + g)
    write("one_column_two_names.csv", [HEADER] + g)
    write("ragged_lines.csv", [HEADER, g[0] + ",x", *g[1:3], g[3] + ",x,y", *g[4:]])
    (HERE / "compressed.csv.gz").write_bytes(
        gzip.compress(("\n".join([HEADER, *g]) + "\n").encode(), mtime=0)
    )
    write("truncated.csv", [HEADER] + g[:-1] + ["P1,E09,20"])
    write(
        "unbalanced_quote.csv", [HEADER] + g + ['P1,E20,2000,sample,"HGF,A375,vemurafenib'] + g[:3]
    )
    (HERE / "huge_single_line.csv").write_bytes(("x," * 150_000).encode())
    (HERE / "binary_garbage.csv").write_bytes(bytes(range(256)) * 8)
    (HERE / "not_really.parquet").write_text(HEADER + "\n" + "\n".join(g) + "\n")
    write("plate_two_treatments.csv", [HEADER] + g + ["P1,E20,2000,sample,TNF,A375,trametinib"])
    write("empty_treatment_cells.csv", [HEADER] + g + ["P1,E20,2000,sample,TNF,A375,"])
    write(
        "mapped_column_absent.csv",
        ["plate,well,Luminescence,role,protein"] + [",".join(r.split(",")[:5]) for r in g],
    )
    write(
        "role_words_unmapped.csv",
        [HEADER] + [r.replace("drug_control", "neg").replace("vehicle_control", "pos") for r in g],
    )
    d = HERE / "a_directory"
    d.mkdir(exist_ok=True)
    (d / ".keep").write_text("a folder passed where a file is expected\n")
    # Excel workbook whose first sheet is empty
    try:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.title = "empty"
        ws = wb.create_sheet("data")
        for line in [HEADER, *g]:
            ws.append(line.split(","))
        wb.save(HERE / "empty_first_sheet.xlsx")
    except ImportError:  # pragma: no cover
        pass
    # grid export with a missing row, plate map not covering the plate, conflicting lists
    imports = HERE.parents[1] / "fixtures" / "imports"
    grid = (imports / "reader_rep1.txt").read_text().splitlines()
    start = next(i for i, ln in enumerate(grid) if ln.startswith("Raw data"))
    missing_row = [ln for i, ln in enumerate(grid) if not (i == start + 4)]  # drop row C
    (HERE / "grid_missing_row.txt").write_text("\n".join(missing_row) + "\n")
    shutil.copy(imports / "plate_map.csv", HERE / "plate_map.csv")
    pm = (imports / "plate_map.csv").read_text().splitlines()
    (HERE / "plate_map_partial.csv").write_text("\n".join(pm[: len(pm) // 2]) + "\n")
    shutil.copy(imports / "reader_rep1.txt", HERE / "reader_rep1.txt")
    (HERE / "plate_list_conflicting.csv").write_text(
        "file,plate,cell_line,treatment,replicate\n"
        "reader_rep1.txt,rep1,A375,vemurafenib,1\n"
        "reader_rep1.txt,rep1,SKMEL28,vemurafenib,1\n"
    )


if __name__ == "__main__":
    main()
