"""Reading vendor annotations and synonyms around protein names (pure string functions)."""

from __future__ import annotations

import pytest

from secretome_rank.name_forms import MAX_LENGTH, split_annotations, synonym_parts


@pytest.mark.parametrize(
    ("text", "core", "species"),
    [
        ("mouse HGF", "HGF", {"mouse"}),
        ("Recombinant Murine IL-6", "IL-6", {"mouse"}),
        ("rmIL-4", "IL-4", {"mouse"}),
        ("rm IL-4", "IL-4", {"mouse"}),
        ("rrVEGF164", "VEGF164", {"rat"}),
        ("porcine TGF-beta1", "TGF-beta1", {"pig"}),
        ("bovine FGF-2", "FGF-2", {"cattle"}),
        ("Guinea pig IL-6", "IL-6", {"guinea pig"}),
        ("EGF (human)", "EGF", {"human"}),
        ("HGF, human", "HGF", {"human"}),
        ("HGF human", "HGF", {"human"}),
        ("Human/Murine/Rat BDNF", "BDNF", {"human", "mouse", "rat"}),
        ("Activin A (human, mouse, rat)", "Activin A", {"human", "mouse", "rat"}),
        ("HGF (294-HG)", "HGF", set()),
        ("HGF (Cat# 294-HG)", "HGF", set()),
        ("HGF (ab9695)", "HGF", set()),
        ("HGF (10463-HNAS)", "HGF", set()),
        ("TGF-beta1, His tag", "TGF-beta1", set()),
        ("IL-6 (His-Avi)", "IL-6", set()),
        ("IL-6 (GST tag)", "IL-6", set()),
        ("IL-6 (N-GST)", "IL-6", set()),
        ("IL-6, Fc chimera", "IL-6", set()),
        ("HGF (aa 32-728)", "HGF", set()),
        ("FGF2 (146 aa)", "FGF2", set()),
        ("IL-6 (E. coli-derived)", "IL-6", set()),
        ("Recombinant Mouse HGF Protein, CF (2207-HG)", "HGF", {"mouse"}),
    ],
)
def test_split_annotations(text: str, core: str, species: set[str]) -> None:
    assert split_annotations(text) == (core, frozenset(species))


@pytest.mark.parametrize(
    "text",
    [
        # what names the protein stays
        "VEGF165",
        "IL-1 alpha",
        "PDGF-BB",
        "FGF-2 (FGF-basic)",
        "HGF (NK4)",
        "IL-1 (beta)",
        "IL-12 (p70)",
        "IL-1 alpha, beta",
        # look like annotations, are not: proteins named in parentheses, numbered names
        "YWHAZ (14-3-3)",
        "TNFSF9 (4-1BB)",
        "CAT (catalase)",
        "HGF (CCL2-CCL7)",
        "IL-6 (GST)",
        "Myelin basic protein (MBP)",
        "IgG1 Fc",
        # species words inside a word, or alone
        "Humanin",
        "Pigment epithelium-derived factor",
        "PIGF",
        "mouse",
        "Human",
        "rIL-6",
        "muPA",  # mouse uPA, not "mu" + PA
        "muPAR",
    ],
)
def test_split_annotations_keeps_what_is_not_an_annotation(text: str) -> None:
    assert split_annotations(text) == (text, frozenset())


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("HGF/SF", (["HGF", "SF"], "")),
        ("IL-8 / CXCL8", (["IL-8", "CXCL8"], "")),
        ("FGF basic/FGF2/bFGF", (["FGF basic", "FGF2", "bFGF"], "")),
        ("FGF-2 (FGF-basic)", (["FGF-2", "FGF-basic"], "FGF-2 FGF-basic")),
        ("IL-12 (p70)", (["IL-12", "p70"], "IL-12 p70")),
        ("HGF/SF+EGF", None),  # a combination: split at + first
        ("HGF", None),
        ("HGF/", None),
        ("HGF (SF) (CF)", None),
    ],
)
def test_synonym_parts(text: str, parts: tuple[list[str], str] | None) -> None:
    assert synonym_parts(text) == parts


def test_long_text_is_left_as_it_is() -> None:
    long = "HGF" + " (human)" * 100  # no plate map writes this; bounded work on broken input
    assert len(long) > MAX_LENGTH
    assert split_annotations(long) == (long, frozenset())
    assert synonym_parts("HGF/" * 60 + "SF") is None
    assert split_annotations("HGF" + " (human)" * 20) == ("HGF", frozenset({"human"}))
