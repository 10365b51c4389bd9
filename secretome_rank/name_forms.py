"""Read the words vendors put around a protein name on a plate map.

Pure string functions used by :mod:`secretome_rank.names` for names its lookups do not know:

* :func:`split_annotations` removes what is not part of the protein's name and says which
  species the name gives: species words before or after the name (``mouse HGF``,
  ``HGF (human)``, ``HGF, rat``, ``rmIL-4``, ``Human/Murine/Rat BDNF``), catalog numbers in
  parentheses or after a comma (``(294-HG)``, ``(AF-100-15)``), purification tags (``, His tag``,
  ``(C-6His)``, ``-Fc``), formulation and expression host (``CF``, ``animal-free``, ``E. coli``)
  and construct length (``(146 aa)``, ``(Ala32-Ser728)``);
* :func:`synonym_parts` splits a name written as synonyms: ``HGF/SF``, ``IL-8/CXCL8``,
  ``FGF-2 (FGF-basic)``.

Only a closed vocabulary of annotations is removed: a word that is not in it (an isoform number
``VEGF165``, a Greek letter ``IL-1 beta``, a dimer ``PDGF-BB``, a synonym in parentheses) is kept.
"""

from __future__ import annotations

import re

__all__ = ["HUMAN", "MAX_LENGTH", "split_annotations", "synonym_parts"]

HUMAN = "human"
# longer text is no protein name from a plate map (the longest vendor names have ~80
# characters): left as it is, which bounds the time spent on broken input
MAX_LENGTH = 200

# species word (as written, lower case) -> species
_SPECIES_WORDS = {
    "human": HUMAN,
    "mouse": "mouse",
    "murine": "mouse",
    "rat": "rat",
    "porcine": "pig",
    "pig": "pig",
    "swine": "pig",
    "bovine": "cattle",
    "canine": "dog",
    "dog": "dog",
    "equine": "horse",
    "horse": "horse",
    "feline": "cat",
    "rabbit": "rabbit",
    "chicken": "chicken",
    "rhesus": "rhesus macaque",
    "cynomolgus": "cynomolgus macaque",
    "monkey": "monkey",
    "ovine": "sheep",
    "sheep": "sheep",
    "caprine": "goat",
    "goat": "goat",
    "hamster": "hamster",
    "guinea pig": "guinea pig",
    "zebrafish": "zebrafish",
}
# short prefixes, lower case, before an upper-case letter: rmIL-4, rm IL-4, mIL-6, rrVEGF164
# ("mu" is not one: muPA and muPAR are mouse uPA and uPAR)
_SHORT_SPECIES = {"rm": "mouse", "m": "mouse", "rr": "rat"}

_SPECIES = "(?:" + "|".join(sorted(map(re.escape, _SPECIES_WORDS), key=len, reverse=True)) + ")"
_SPECIES_LIST = rf"{_SPECIES}(?:\s*/\s*{_SPECIES})*"
# purification tags: "His", "Fc", "FLAG", "Avi" alone; the others (which also name proteins,
# e.g. MBP, GST) only with a tag word or a terminus ("GST tag", "N-GST")
_TERM = r"[nc][-\s]?(?:term(?:inal)?[-\s]?)?"
_TAG_COUNT = r"(?:\d{1,2}\s*x\s*|\d{1,2})?"
_TAG_BARE = rf"{_TAG_COUNT}(?:his|avi|fc|hfc|mfc|hufc|flag)\d{{0,2}}"
_TAG_NAMES = r"his|avi|fc|hfc|mfc|hufc|flag|gst|strep|twin[-\s]?strep|myc|ha|sumo|mbp|trx"
_TAG_ANY = rf"(?:{_TERM})?{_TAG_COUNT}(?:{_TAG_NAMES})\d{{0,2}}"
_TAGS = rf"{_TAG_ANY}(?:\s*[-/&+]\s*{_TAG_ANY})*"
_TAG_WORD = r"[-\s]?(?:tag(?:ged)?|fusion|chimera)"
_TAG = rf"{_TAGS}{_TAG_WORD}|{_TERM}{_TAGS}|{_TAG_BARE}(?:\s*[-/&+]\s*{_TAG_BARE})*"
_AMINO = r"(?:ala|arg|asn|asp|cys|gln|glu|gly|his|ile|leu|lys|met|phe|pro|ser|thr|trp|tyr|val)"
# one annotation item: the whole content of a parenthesis, or of a comma-separated part
_ITEM = re.compile(
    "|".join(
        (
            rf"(?:recombinant\s+)?{_SPECIES_LIST}(?:\s+recombinant)?(?:\s+protein)?",
            r"recombinant(?:\s+protein)?|protein",
            r"carrier[-\s]?free|cf|animal[-\s]?(?:component[-\s]?)?free|af|acf|tag[-\s]?free",
            r"low[-\s]?endotoxin|endotoxin[-\s]?free|sterile|lyophili[sz]ed|bioactive|active",
            r"gmp(?:[-\s]grade)?|premium(?:[-\s]grade)?|research[-\s]grade",
            r"(?:expressed\s+in\s+)?(?:e\.?\s?coli|hek(?:[-\s]?293[tf]?)?|cho|sf9|sf21|insect(?:\s+cells)?"
            r"|baculovirus|yeast|p\.?\s?pastoris|ns0|mammalian(?:\s+cells)?)"
            r"(?:[-\s](?:derived|expressed))?",
            _TAG,
            # catalog numbers: R&D 294-HG, 7754-BH-005/CF; PeproTech 100-39, AF-100-15; Sino
            # 10463-HNAS; Abcam ab9695; anything after "Cat. No."
            r"(?:[a-z]{1,3}-)?\d{3,6}(?:-[a-z0-9]{1,6}){1,3}(?:/[a-z]{1,3})?|ab\d{3,7}",
            r"cat(?:alog(?:ue)?)?\s*(?:\.\s*(?:no\.?|number|#)?|no\.?|number|#)\s*[:#]?\s*"
            r"[a-z0-9][-a-z0-9./]*",
            # construct length: 146 aa, aa 32-728, Ala32-Ser728
            rf"\d{{2,4}}\s*aa|aa\s*\d{{1,4}}\s*[-–]\s*\d{{1,4}}|{_AMINO}\d{{1,4}}\s*[-–]\s*{_AMINO}\d{{1,4}}",
        )
    ),
    re.IGNORECASE,
)
_PREFIX_SPECIES = re.compile(
    rf"^(?:recombinant\s+)?(?P<sp>{_SPECIES_LIST})\s+(?:recombinant\s+)?(?=\S)", re.IGNORECASE
)
_PREFIX_SHORT = re.compile(r"^(?P<sp>rm|rr|m)(?:[-\s]?(?=[A-Z]))")  # case-sensitive
_PREFIX_PACKAGING = re.compile(
    r"^(?:animal[-\s]free|carrier[-\s]free|gmp|premium(?:\s+grade)?)\s+(?=\S)", re.IGNORECASE
)
_TAIL_PAREN = re.compile(r"\s*\((?P<item>[^()]*)\)$")
_TAIL_COMMA = re.compile(r"\s*[,;]\s*(?P<item>[^,;()]*)$")
_TAIL_BARE = re.compile(
    rf"(?:(?P<sp>(?:\s+{_SPECIES_LIST})+)(?:\s+recombinant)?|\s+recombinant(?:\s+protein)?|\s+protein"
    rf"|\s+{_TAGS}[-\s]?tag(?:ged)?|-(?:his|fc|hfc|mfc|flag|avi)(?:[-\s]?tag(?:ged)?)?)$",
    re.IGNORECASE,
)
_PAREN_SYNONYM = re.compile(r"^(?P<a>[^()]*[^\s()])\s*\((?P<b>[^()]*[^\s()])\s*\)$")


def _species_of(words: str) -> set[str]:
    found = re.findall(_SPECIES, words, flags=re.IGNORECASE)
    return {_SPECIES_WORDS[" ".join(w.lower().split())] for w in found}


def _is_annotation(item: str) -> bool:
    item = item.strip()
    return bool(item) and _ITEM.fullmatch(item) is not None


def split_annotations(text: str) -> tuple[str, frozenset[str]]:
    """Remove vendor annotations around a protein name.

    Parameters
    ----------
    text : str
        A protein name as a plate map writes it.

    Returns
    -------
    tuple of (str, frozenset of str)
        The name without annotations (``text`` itself, stripped, when there are none or when
        it is longer than ``MAX_LENGTH`` characters), and the species the annotations name
        (``human``, ``mouse``, ``rat``, ``pig``, ``cattle`` ...; empty when none is named).

    Examples
    --------
    >>> split_annotations("HGF (294-HG)")
    ('HGF', frozenset())
    >>> split_annotations("rmIL-4")
    ('IL-4', frozenset({'mouse'}))
    >>> split_annotations("TGF-beta1, His tag")
    ('TGF-beta1', frozenset())
    >>> split_annotations("FGF-2 (FGF-basic)")  # a synonym, not an annotation
    ('FGF-2 (FGF-basic)', frozenset())
    """
    original = text.strip()
    if len(original) > MAX_LENGTH or (original.isalnum() and not original[:1].islower()):
        return original, frozenset()  # most unknown names are one word: nothing to remove
    text = " ".join(original.split())  # one space between words: the searches stay linear
    collapsed = text
    species: set[str] = set()
    prev = None
    while prev != text and text:
        prev = text
        m = _PREFIX_SPECIES.match(text)
        if m:
            species |= _species_of(m.group("sp"))
            text = text[m.end() :]
        m = _PREFIX_SHORT.match(text)
        if m:
            species.add(_SHORT_SPECIES[m.group("sp")])
            text = text[m.end() :]
        text = _PREFIX_PACKAGING.sub("", text)
        for rx in (_TAIL_PAREN, _TAIL_COMMA):
            m = rx.search(text)
            items = re.split(r"\s*[,;]\s*", m.group("item")) if m else []
            if m and items and all(map(_is_annotation, items)):
                species |= _species_of(m.group("item"))
                text = text[: m.start()]
        m = _TAIL_BARE.search(text)
        if m and m.start() > 0:
            if m.group("sp"):
                species |= _species_of(m.group("sp"))
            text = text[: m.start()]
        text = text.strip()
    if text == collapsed:
        return original, frozenset()
    return text, frozenset(species)


def synonym_parts(text: str) -> tuple[list[str], str] | None:
    """Split a name written as synonyms, ``A/B/...`` or ``A (B)``.

    Parameters
    ----------
    text : str
        A protein name (without annotations).

    Returns
    -------
    tuple of (list of str, str) or None
        The parts, and the name read without the parentheses (``"A B"``; empty for ``A/B``),
        which is looked up first since the parenthesis may be part of the name
        (``VEGF (165)``). ``None`` when the name is not written as synonyms, holds ``+``
        (a combination ``A+B`` is split first) or is longer than ``MAX_LENGTH`` characters.

    Examples
    --------
    >>> synonym_parts("HGF/SF")
    (['HGF', 'SF'], '')
    >>> synonym_parts("FGF-2 (FGF-basic)")
    (['FGF-2', 'FGF-basic'], 'FGF-2 FGF-basic')
    """
    if len(text) > MAX_LENGTH or "+" in text or ("/" not in text and "(" not in text):
        return None
    m = _PAREN_SYNONYM.match(text.strip())
    if m:
        a, b = m.group("a").strip(), m.group("b").strip()
        return [a, b], f"{a} {b}"
    if "(" in text or ")" in text or "/" not in text:
        return None
    parts = [p.strip() for p in text.split("/")]
    if len(parts) < 2 or not all(parts):
        return None
    return parts, ""
