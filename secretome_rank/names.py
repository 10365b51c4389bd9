"""Resolve protein names, as screening libraries write them, to HGNC gene symbols.

Library and vendor spellings ("bFGF", "IL-1beta", "Recombinant Human TGF-beta1 (carrier-free)",
"PDGF-AB", "VEGF165", "sCD40L+IL-4") are mapped to HGNC approved symbols. Ambiguous names are
flagged with their candidates and never guessed; unknown names are reported, never dropped.

Resolution order for one name (the first step that matches wins):

1. the whole name, then the name with packaging words removed (prefixes "Recombinant Human",
   "Human", "rh", "rhu", "h", "s" for soluble; suffixes "(carrier-free)", "(CF)", "protein",
   tags), each looked up as a *key* (upper case; hyphens, spaces and punctuation removed; Greek
   letters spelled out or as symbols reduced to one Latin letter: alpha/a/α -> A, beta/b/β -> B,
   gamma/g/γ -> G, ...) in

   a. the hand-curated vendor-name table (``data/vendor_names.tsv``): common and vendor names,
      heterodimers, and names curated as ambiguous even though HGNC has an approved symbol of
      that spelling (HRG, TPO, CNP);
   b. HGNC approved symbols -> ``exact``;
   c. HGNC previous and alias symbols (``data/aliases.tsv``) -> ``alias`` when they name one
      gene, ``ambiguous`` (with candidates) when they name several;

2. isoform notation: a trailing isoform number (VEGF165, VEGF-A121), a Greek isoform suffix
   (NRG1-beta1), or a two-letter dimer (PDGF-BB -> PDGFB; PDGF-AB -> PDGFA and PDGFB);
3. vendor annotations (:mod:`secretome_rank.name_forms`), only for names steps 1-2 do not know:
   catalog numbers, tags, formulation words and species words removed (``HGF (294-HG)``,
   ``TGF-beta1, His tag``, ``EGF (human)``); a non-human species (``mouse HGF``, ``rmIL-4``)
   gives the human gene of the same name with resolution ``ortholog``;
4. synonyms written ``A/B`` or ``A (B)`` (``HGF/SF``, ``FGF-2 (FGF-basic)``): every part
   resolved; the protein all parts can name, ``ambiguous`` when they name different proteins;
5. combinations written ``A+B`` or ``A + B``: each part resolved on its own; the name resolves
   to all parts.

All lookups use tables shipped in the package; nothing is fetched at run time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Final, Literal

import pandas as pd

from secretome_rank.errors import ResourceError
from secretome_rank.name_forms import HUMAN, split_annotations, synonym_parts

__all__ = [
    "AMBIGUOUS",
    "ALIAS",
    "CANDIDATES",
    "EXACT",
    "MATCHED_BY",
    "ORTHOLOG",
    "QUERY",
    "RESOLUTION",
    "UNKNOWN",
    "NameResolution",
    "NameResolver",
    "default_resolver",
    "normalize_key",
    "resolve_names",
]

Resolution = Literal["exact", "alias", "ortholog", "ambiguous", "unknown"]

# column names added by this module (not yet in columns.py)
QUERY = "query"
RESOLUTION = "resolution"
CANDIDATES = "candidates"
MATCHED_BY = "matched_by"

EXACT: Final[Resolution] = "exact"
ALIAS: Final[Resolution] = "alias"
ORTHOLOG: Final[Resolution] = "ortholog"
AMBIGUOUS: Final[Resolution] = "ambiguous"
UNKNOWN: Final[Resolution] = "unknown"
_SEVERITY = {EXACT: 0, ALIAS: 1, ORTHOLOG: 2, AMBIGUOUS: 3, UNKNOWN: 4}
_RESOLVED = (EXACT, ALIAS, ORTHOLOG)

SEP = ";"  # between several symbols / candidates in one cell

_GREEK_CHARS = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "ω": "omega",
    "ζ": "zeta",
    "θ": "theta",
}
_GREEK_WORDS = (
    ("ALPHA", "A"),
    ("BETA", "B"),
    ("GAMMA", "G"),
    ("DELTA", "D"),
    ("EPSILON", "E"),
    ("KAPPA", "K"),
    ("LAMBDA", "L"),
    ("OMEGA", "W"),
    ("ZETA", "Z"),
    ("THETA", "T"),
)
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")

_PREFIX_WORDS = re.compile(
    r"^\s*(?:recombinant\s+)?(?:human|hu)?\s+(?=\S)|^\s*recombinant\s+", re.IGNORECASE
)
_PREFIX_SHORT = re.compile(r"^(?:rhu|rh|h)[-\s]?(?=[A-Z0-9])")  # lower case only: rhIL-6, hIL-6
_PREFIX_SOLUBLE = re.compile(r"^s(?=[A-Z])")  # sCD40L, sRANKL
_SUFFIXES = re.compile(
    r"(?:\s*\((?:carrier[-\s]?free|cf|animal[-\s]?free|af|tag[-\s]?free|his[-\s]?tag(?:ged)?|"
    r"fc(?:\s+chimera)?|e\.?\s?coli|hek\s?293|cho|active|bioactive|gmp|premium|"
    r"research grade)\)"
    r"|,?\s+(?:carrier[-\s]?free|recombinant\s+protein|protein|cf))\s*$",
    re.IGNORECASE,
)
_ISOFORM_NUMBER = re.compile(r"^(?P<base>.*?[A-Za-z])[-\s]?(?P<iso>\d{3}[a-z]?)$")
_ISOFORM_GREEK = re.compile(
    r"^(?P<base>.*?[A-Za-z0-9])[-\s]*(?:alpha|beta|gamma|[αβγ])\s*\d?$", re.IGNORECASE
)
_DIMER = re.compile(r"^(?P<base>[A-Za-z]{2,}?)[-\s]?(?P<a>[A-D])(?P<b>[A-D])$")
_COMBINATION = re.compile(r"\s*\+\s*")


def normalize_key(name: str) -> str:
    """Return the lookup key of a protein name.

    Parameters
    ----------
    name : str
        A protein name or gene symbol.

    Returns
    -------
    str
        Upper case, Greek letters reduced to one Latin letter (``alpha``/``α`` -> ``A``,
        ``beta`` -> ``B``, ``gamma`` -> ``G`` ...), every character other than A-Z and 0-9
        removed.

    Examples
    --------
    >>> normalize_key("TGF-β1"), normalize_key("IL-1 beta"), normalize_key("IFN-gamma")
    ('TGFB1', 'IL1B', 'IFNG')
    """
    text = str(name)
    if not text.isascii():  # ASCII is NFKC already and has no Greek letters
        text = unicodedata.normalize("NFKC", text)
        text = "".join(_GREEK_CHARS.get(c, c) for c in text)
    text = text.upper()
    for word, letter in _GREEK_WORDS:
        text = text.replace(word, letter)
    return _NON_ALNUM.sub("", text)


def _clean_variants(name: str) -> list[str]:
    """Packaging-stripped variants of a name, most literal first."""
    out = [name]
    text = name.strip()
    prev = None
    while prev != text:  # strip suffixes and prefixes repeatedly
        prev = text
        text = _SUFFIXES.sub("", text).strip()
        text = _PREFIX_WORDS.sub("", text).strip()
    if text and text not in out:
        out.append(text)
    for rx in (_PREFIX_SHORT, _PREFIX_SOLUBLE):
        stripped = rx.sub("", text, count=1).strip()
        if stripped and stripped not in out:
            out.append(stripped)
    return out


@dataclass(frozen=True)
class NameResolution:
    """The resolution of one name.

    Attributes
    ----------
    query : str
        The name as given.
    symbols : tuple of str
        HGNC approved symbols the name stands for (several for heterodimers, PDGF-AB and
        combinations ``A+B``); empty when ambiguous or unknown.
    resolution : {"exact", "alias", "ortholog", "ambiguous", "unknown"}
        ``exact``: the name is an approved symbol (case, hyphens and packaging words aside);
        ``alias``: a previous/alias symbol, vendor name, isoform notation or synonyms ``A/B``
        naming one protein (or a defined set of proteins); ``ortholog``: a non-human protein
        (``mouse HGF``, ``rmIL-4``), ``symbols`` are the human genes of the same name;
        ``ambiguous``: several genes are possible (see ``candidates``); ``unknown``: nothing
        matched.
    candidates : tuple of str
        The possible symbols of an ambiguous name.
    matched_by : str
        Which rule matched: ``approved symbol``, ``HGNC alias``, ``vendor name``, ``isoform``,
        ``dimer``, ``ortholog``, ``synonyms``, ``combination`` or ``""``. Removed packaging
        words and annotations keep the rule that matched the rest.
    """

    query: str
    symbols: tuple[str, ...]
    resolution: Resolution
    candidates: tuple[str, ...] = ()
    matched_by: str = ""


class NameResolver:
    """Resolve protein names to HGNC symbols with the bundled (or given) tables.

    Parameters
    ----------
    aliases : pandas.DataFrame, optional
        Columns ``alias``, ``symbol`` (approved) and optionally ``type`` (``approved`` for rows
        where alias == symbol). Default: the bundled reduced HGNC table ``data/aliases.tsv``.
    vendor_names : pandas.DataFrame, optional
        Columns ``name``, ``symbols`` (``;``-separated), ``status`` (``resolved`` or
        ``ambiguous``). Default: the bundled ``data/vendor_names.tsv``.

    Notes
    -----
    Results are cached per distinct name, so resolving a long column with repeated names costs
    one lookup per distinct name.
    """

    def __init__(
        self,
        aliases: pd.DataFrame | None = None,
        vendor_names: pd.DataFrame | None = None,
    ) -> None:
        if aliases is None:
            aliases = _read_table("aliases.tsv", ("alias", "symbol"))
        if vendor_names is None:
            vendor_names = _read_table("vendor_names.tsv", ("name", "symbols", "status"))
        self._approved: dict[str, str] = {}
        alias_map: dict[str, set[str]] = {}
        alias_list = aliases["alias"].tolist()  # plain str: iterating the column is slower
        symbol_list = aliases["symbol"].tolist()
        keys = {name: normalize_key(name) for name in {*alias_list, *symbol_list}}
        for alias, symbol in zip(alias_list, symbol_list, strict=True):
            key = keys[alias]
            if not key:
                continue
            if alias == symbol:
                self._approved[key] = symbol
            alias_map.setdefault(key, set()).add(symbol)
        # every approved symbol also answers for its own key
        for symbol in set(symbol_list):
            self._approved.setdefault(keys[symbol], symbol)
        self._alias: dict[str, tuple[str, ...]] = {
            k: tuple(sorted(v)) for k, v in alias_map.items()
        }
        self._vendor: dict[str, tuple[tuple[str, ...], bool]] = {}
        for name, symbols, status in zip(
            vendor_names["name"].tolist(),
            vendor_names["symbols"].tolist(),
            vendor_names["status"].tolist(),
            strict=True,
        ):
            syms = tuple(s.strip() for s in str(symbols).split(SEP) if s.strip())
            self._vendor[normalize_key(name)] = (syms, str(status).strip() == AMBIGUOUS)
        self._cache: dict[str, NameResolution] = {}
        self._approved_set = frozenset(self._approved.values())

    @property
    def approved_symbols(self) -> frozenset[str]:
        """Approved symbols known to this resolver."""
        return self._approved_set

    # -- single-key lookup ----------------------------------------------------------------
    def _lookup_key(self, key: str, query: str) -> NameResolution | None:
        if not key:
            return None
        if key in self._vendor:
            syms, ambiguous = self._vendor[key]
            if ambiguous:
                return NameResolution(query, (), AMBIGUOUS, syms, "vendor name")
            return NameResolution(query, syms, ALIAS, (), "vendor name")
        if key in self._approved:
            return NameResolution(query, (self._approved[key],), EXACT, (), "approved symbol")
        cands = self._alias.get(key)
        if cands:
            if len(cands) == 1:
                return NameResolution(query, cands, ALIAS, (), "HGNC alias")
            return NameResolution(query, (), AMBIGUOUS, cands, "HGNC alias")
        return None

    def _lookup_text(self, text: str, query: str) -> NameResolution | None:
        for variant in _clean_variants(text):
            hit = self._lookup_key(normalize_key(variant), query)
            if hit is not None:
                return hit
        return None

    def _isoform(self, text: str, query: str) -> NameResolution | None:
        for variant in _clean_variants(text):
            variant = variant.strip()
            m = _DIMER.match(variant)
            if m:
                base = m.group("base")
                first = self._lookup_key(normalize_key(base + m.group("a")), query)
                second = self._lookup_key(normalize_key(base + m.group("b")), query)
                if (
                    first is not None
                    and second is not None
                    and first.resolution == EXACT
                    and second.resolution == EXACT
                ):
                    syms = tuple(dict.fromkeys(first.symbols + second.symbols))
                    return NameResolution(query, syms, ALIAS, (), "dimer")
            for rx in (_ISOFORM_NUMBER, _ISOFORM_GREEK):
                m = rx.match(variant)
                if m:
                    hit = self._lookup_text(m.group("base"), query)
                    if hit is not None and hit.resolution in (EXACT, ALIAS):
                        return NameResolution(query, hit.symbols, ALIAS, (), "isoform")
        return None

    # -- public ---------------------------------------------------------------------------
    def resolve(self, name: object) -> NameResolution:
        """Resolve one name.

        Parameters
        ----------
        name : object
            A protein name; ``None``/NaN/empty give ``unknown``.

        Returns
        -------
        NameResolution
        """
        query = "" if name is None or (isinstance(name, float) and name != name) else str(name)
        cached = self._cache.get(query)
        if cached is not None:
            return cached
        result = self._resolve_uncached(query)
        self._cache[query] = result
        return result

    def _resolve_uncached(self, query: str) -> NameResolution:
        text = query.strip()
        if not text:
            return NameResolution(query, (), UNKNOWN)
        hit = self._lookup_text(text, query) or self._isoform(text, query)
        if hit is not None:
            return hit
        # the rules below only see names the lookups above do not know, so they cannot change
        # how a name that resolved before them resolves
        hit = self._annotated(text, query) or self._synonyms(text, query)
        if hit is not None:
            return hit
        parts = [p for p in _COMBINATION.split(text) if p.strip()]
        if len(parts) > 1:
            subs = [self.resolve(p) for p in parts]
            worst = max((s.resolution for s in subs), key=_SEVERITY.__getitem__)
            symbols = tuple(dict.fromkeys(s for r in subs for s in r.symbols))
            cands = tuple(dict.fromkeys(c for r in subs for c in r.candidates))
            if worst in (EXACT, ALIAS):
                return NameResolution(query, symbols, ALIAS, (), "combination")
            if worst == ORTHOLOG:
                return NameResolution(query, symbols, ORTHOLOG, (), "combination")
            return NameResolution(query, symbols, worst, cands, "combination")
        return NameResolution(query, (), UNKNOWN)

    def _annotated(self, text: str, query: str) -> NameResolution | None:
        """The name without vendor annotations; a non-human species gives ``ortholog``."""
        core, species = split_annotations(text)
        if not core or core == text:
            return None
        hit = self.resolve(core)
        if hit.resolution == UNKNOWN:
            return None
        if not species or HUMAN in species:  # Human/Mouse/Rat BDNF: the human sequence
            return replace(hit, query=query)
        if hit.resolution in _RESOLVED:
            return NameResolution(query, hit.symbols, ORTHOLOG, (), "ortholog")
        return NameResolution(query, hit.symbols, hit.resolution, hit.candidates, "ortholog")

    def _synonyms(self, text: str, query: str) -> NameResolution | None:
        """``A/B`` or ``A (B)``: the protein every part can name."""
        split = synonym_parts(text)
        if split is None:
            return None
        parts, joined = split
        if joined:  # VEGF (165) is VEGF 165, PDGF (BB) is PDGF BB
            hit = self._lookup_text(joined, query) or self._isoform(joined, query)
            if hit is not None:
                return hit
        subs = [self.resolve(p) for p in parts]
        if any(s.resolution == UNKNOWN for s in subs):
            return None
        # what each part can name: its symbols (one protein, possibly a dimer) or, when
        # ambiguous, each candidate; an ambiguous part is settled by the others (HGF/SF)
        options = [
            [s.symbols] if s.resolution in _RESOLVED else [(c,) for c in s.candidates] for s in subs
        ]
        common = [o for o in options[0] if all(o in other for other in options[1:])]
        ortholog = any(s.resolution == ORTHOLOG for s in subs)
        if len(common) == 1:
            return NameResolution(query, common[0], ORTHOLOG if ortholog else ALIAS, (), "synonyms")
        named = common or [o for opts in options for o in opts]
        cands = tuple(dict.fromkeys(c for o in named for c in o))
        return NameResolution(query, (), AMBIGUOUS, cands, "synonyms")

    def resolve_many(self, names: Iterable[object]) -> pd.DataFrame:
        """Resolve many names (one lookup per distinct name).

        Parameters
        ----------
        names : iterable
            Protein names.

        Returns
        -------
        pandas.DataFrame
            One row per input name, in input order, with the columns of :func:`resolve_names`.
        """
        values = pd.Series(list(names), dtype=object)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        res = [self.resolve(u) for u in uniques]
        table = pd.DataFrame(
            {
                QUERY: [r.query for r in res],
                "symbol": [SEP.join(r.symbols) for r in res],
                RESOLUTION: [r.resolution for r in res],
                CANDIDATES: [SEP.join(r.candidates) for r in res],
                MATCHED_BY: [r.matched_by for r in res],
            }
        )
        out = table.iloc[codes].reset_index(drop=True).astype(str)  # str dtype even when empty
        out[QUERY] = values.where(values.notna(), "").astype(str).to_numpy()
        return out


def _read_table(filename: str, required: tuple[str, ...]) -> pd.DataFrame:
    path = resources.files("secretome_rank").joinpath("data", filename)
    try:
        with path.open("r", encoding="utf-8") as fh:
            table = pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:  # pragma: no cover - broken installation
        raise ResourceError(
            f"bundled table secretome_rank/data/{filename} is missing; reinstall the package"
        ) from exc
    missing = [c for c in required if c not in table.columns]
    if missing:  # pragma: no cover - broken installation
        raise ResourceError(
            f"bundled table secretome_rank/data/{filename} lacks columns {missing}; "
            "rebuild it with scripts/build_lr_table.py"
        )
    return table


@lru_cache(maxsize=1)
def default_resolver() -> NameResolver:
    """Return the shared resolver built from the bundled tables (built once per process)."""
    return NameResolver()


def resolve_names(
    names: Iterable[object] | pd.Series | Mapping[object, object],
    *,
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Resolve protein names to HGNC symbols.

    Parameters
    ----------
    names : iterable of str
        Protein names as a library writes them (symbols, aliases, vendor names, species and
        catalog annotations, synonyms ``A/B``, combinations ``A+B``).
    resolver : NameResolver, optional
        Default: :func:`default_resolver` (bundled tables).

    Returns
    -------
    pandas.DataFrame
        One row per input name, in order, with columns:

        - ``query``: the name as given;
        - ``symbol``: HGNC approved symbol(s), ``;``-separated when the name stands for several
          proteins (heterodimers, PDGF-AB, combinations); empty when ambiguous or unknown;
        - ``resolution``: ``exact``, ``alias``, ``ortholog`` (a non-human protein, e.g.
          ``mouse HGF``: ``symbol`` is the human gene of the same name, whose receptors may
          not respond to it), ``ambiguous`` or ``unknown``;
        - ``candidates``: ``;``-separated candidate symbols of an ambiguous name;
        - ``matched_by``: rule that matched (``approved symbol``, ``HGNC alias``,
          ``vendor name``, ``isoform``, ``dimer``, ``ortholog``, ``synonyms``,
          ``combination``).

    Examples
    --------
    >>> out = resolve_names(["bFGF", "PDGF-AB", "SF", "XYZ1"])
    >>> out["symbol"].tolist()
    ['FGF2', 'PDGFA;PDGFB', '', '']
    >>> out["resolution"].tolist()
    ['alias', 'alias', 'ambiguous', 'unknown']
    >>> out["candidates"].tolist()[2]
    'HGF;KITLG'
    >>> out = resolve_names(["mouse HGF", "HGF (294-HG)", "HGF/SF", "HGF/EGF"])
    >>> out["symbol"].tolist(), out["resolution"].tolist()
    (['HGF', 'HGF', 'HGF', ''], ['ortholog', 'exact', 'alias', 'ambiguous'])
    """
    if isinstance(names, Mapping):
        names = list(names.values())
    return (resolver or default_resolver()).resolve_many(names)
