"""Fuzz the readers with mutated real inputs for a bounded time.

    python bench/fuzz.py [--seconds 120] [--seed 0] [--keep DIR]

Takes valid inputs of every reader (a well table, a plate-reader grid export, a plate map,
a plate list, a cellHTS2 Plateconf), mutates them at random (byte flips, random bytes,
deleted or duplicated lines, swapped delimiters, truncation, encodings), and feeds each
mutant to its reader. Our own error (SecretomeRankError, with its message) is the expected
outcome for a broken file; anything else is a crash: it is counted, its input saved under
--keep, and the first lines of its traceback printed. Exit code 1 if any crash was found.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

import secretome_rank as sr
from secretome_rank.errors import SecretomeRankError
from secretome_rank.importers import read_grid_file, read_plate_list, read_plate_map
from secretome_rank.importers.cellhts2 import read_plate_conf

ROOT = Path(__file__).resolve().parents[1]


def seeds() -> dict[str, tuple[bytes, str, object]]:
    wells, _ = sr.simulate_screen(0, n_proteins=30, cell_lines=("A",), drugs=("x",), n_replicates=2)
    imports = ROOT / "fixtures" / "imports"
    return {
        "well table": (wells.to_csv(index=False).encode(), ".csv", sr.read_screen),
        "grid export": (
            (imports / "reader_rep1.txt").read_bytes(),
            ".txt",
            lambda p: read_grid_file(p, grid=1),
        ),
        "plate map": ((imports / "plate_map.csv").read_bytes(), ".csv", read_plate_map),
        "plate list": ((imports / "plate_list.csv").read_bytes(), ".csv", read_plate_list),
        "plateconf": (
            (imports / "cellhts2_mini" / "Plateconf.txt").read_bytes(),
            ".txt",
            read_plate_conf,
        ),
    }


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 6))):
        op = int(rng.integers(0, 9))
        n = len(b)
        if n == 0:
            b += bytes(rng.integers(0, 256, 16, dtype=np.uint8))
            continue
        i = int(rng.integers(0, n))
        if op == 0:  # flip bytes
            for j in rng.integers(0, n, int(rng.integers(1, 10))):
                b[int(j)] = int(rng.integers(0, 256))
        elif op == 1:  # insert random bytes
            b[i:i] = bytes(rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8))
        elif op == 2:  # delete a range
            del b[i : i + int(rng.integers(1, 200))]
        elif op == 3:  # truncate
            del b[i:]
        elif op == 4:  # duplicate or drop lines
            lines = bytes(b).split(b"\n")
            k = int(rng.integers(0, len(lines)))
            if rng.random() < 0.5:
                lines.insert(k, lines[k])
            else:
                del lines[k]
            b = bytearray(b"\n".join(lines))
        elif op == 5:  # swap delimiters
            src, dst = rng.choice([b",", b";", b"\t", b"|", b" "], 2, replace=False)
            b = bytearray(bytes(b).replace(bytes(src), bytes(dst)))
        elif op == 6:  # line endings
            b = bytearray(bytes(b).replace(b"\n", rng.choice([b"\r", b"\r\n", b"\n\n"])))
        elif op == 7:  # special tokens
            tok = rng.choice(
                [
                    b"inf",
                    b"-1",
                    b"NaN",
                    b"",
                    b'"',
                    b"1e999",
                    b"\xef\xbb\xbf",
                    b"A0",
                    b"ZZ99",
                    b"=1+1",
                ]
            )
            b[i:i] = bytes(tok)
        else:  # re-encode
            try:
                b = bytearray(
                    bytes(b)
                    .decode("utf-8")
                    .encode(str(rng.choice(["latin-1", "utf-16", "cp1252"])))
                )
            except (UnicodeDecodeError, UnicodeEncodeError):
                pass
    return bytes(b)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=ROOT / "bench" / "fuzz_crashes")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    corpus = seeds()
    names = list(corpus)
    outcomes: Counter[str] = Counter()
    crashes: list[tuple[str, str]] = []
    tmp = Path(tempfile.mkdtemp())
    end = time.monotonic() + args.seconds
    n = 0
    while time.monotonic() < end:
        name = names[n % len(names)]
        data, suffix, reader = corpus[name]
        mutant = mutate(data, rng)
        path = tmp / f"input{suffix}"
        path.write_bytes(mutant)
        n += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader(path)
            outcomes[f"{name}: accepted"] += 1
        except SecretomeRankError:
            outcomes[f"{name}: our error"] += 1
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            outcomes[f"{name}: CRASH"] += 1
            args.keep.mkdir(parents=True, exist_ok=True)
            keep = args.keep / f"crash_{len(crashes):03d}_{name.replace(' ', '_')}{suffix}"
            keep.write_bytes(mutant)
            tb = traceback.format_exception(exc)
            crashes.append((str(keep), "".join(tb[-3:])))
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{n} mutants in {args.seconds:.0f} s (seed {args.seed})")
    for key, count in sorted(outcomes.items()):
        print(f"  {key:32s} {count}")
    print(f"crashes: {len(crashes)}")
    for path, tb in crashes[:20]:
        print(f"--- {path}\n{tb}")
    raise SystemExit(1 if crashes else 0)


if __name__ == "__main__":
    main()
