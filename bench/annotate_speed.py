"""Time annotating 10,000 protein names (library names, aliases, vendor spellings, unknowns).

Run: python bench/annotate_speed.py [--n 10000] [--repeat 3]

Prints the wall time of ``secretome_rank.annotate`` on a fresh resolver (cold: includes reading
the bundled tables) and on a warm one. The target is < 1 s for 10,000 names.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from secretome_rank.names import NameResolver
from secretome_rank.receptors import annotate, load_ligand_receptor_table

EXTRA = [
    "bFGF",
    "IL-1beta",
    "TGF-b1",
    "TGFβ1",
    "IFN-gamma",
    "SDF-1α",
    "rhHGF",
    "Recombinant Human IL-6",
    "HGF (carrier-free)",
    "PDGF-AB",
    "VEGF165",
    "sCD40L + IL-4",
    "SF",
    "HRG",
    "Ang-1",
    "MSP",
    "FIGF",
    "IL8",
    "CYR61",
    "hGH",
]


def make_names(n: int, rng: np.random.Generator) -> list[str]:
    from importlib import resources

    path = resources.files("secretome_rank").joinpath("data", "secretome_library.tsv")
    with path.open() as fh:
        lib = pd.read_csv(fh, sep="\t")
    aliases = pd.read_csv(
        resources.files("secretome_rank").joinpath("data", "aliases.tsv").open(), sep="\t"
    )["alias"].tolist()
    pool_lib = lib["protein"].tolist() + lib["symbol"].tolist() + EXTRA
    unknown = [f"UNKNOWN{i}" for i in range(n)]
    kinds = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    out = []
    for i, k in enumerate(kinds):
        if k == 0:
            out.append(pool_lib[rng.integers(len(pool_lib))])
        elif k == 1:
            out.append(aliases[rng.integers(len(aliases))])
        else:
            out.append(unknown[i])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    names = pd.DataFrame({"protein": make_names(args.n, rng)})
    load_ligand_receptor_table()  # package import + table read, as in any real session
    t0 = time.perf_counter()
    resolver = NameResolver()
    out = annotate(names, resolver=resolver)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        annotate(names, resolver=NameResolver())
        warm.append(time.perf_counter() - t0)
    counts = out["resolution"].value_counts().to_dict()
    print(
        f"annotate {args.n} names ({names['protein'].nunique()} distinct): "
        f"first call {cold:.3f} s (incl. reading alias/vendor tables), "
        f"best of {args.repeat} with fresh resolvers {min(warm):.3f} s"
    )
    print(f"resolution counts: {counts}")


if __name__ == "__main__":
    main()
