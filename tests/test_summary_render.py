"""The terminal summary: one table per context, or an overview when there are many."""

from __future__ import annotations

import io

from rich.console import Console

from secretome_rank.report import render_summary


def _render(result, **kwargs) -> str:
    console = Console(width=140, record=True, file=io.StringIO())
    render_summary(result, console, **kwargs)
    return console.export_text()


def test_few_contexts_get_one_table_each(example_result):
    hits = example_result.hits
    contexts = hits[["cell_line", "treatment"]].drop_duplicates()
    text = _render(example_result, top=3, max_contexts=len(contexts))
    for line, drug in contexts.itertuples(index=False):
        assert f"{line} + {drug}:" in text
    assert "contexts:" not in text


def test_many_contexts_get_an_overview(example_result):
    hits = example_result.hits
    n_ctx = len(hits[["cell_line", "treatment"]].drop_duplicates())
    assert n_ctx >= 2
    text = _render(example_result, top=1, max_contexts=1)
    n_hits = int(hits["is_hit"].sum())
    assert f"{n_ctx} contexts: {n_hits} hits" in text
    assert f"{n_ctx - 1} more contexts" in text
    # the context shown is the one with most hits, and its best hit is named
    per_ctx = hits.groupby(["cell_line", "treatment"], observed=True)["is_hit"].sum()
    (line, drug) = per_ctx.sort_values(ascending=False, kind="mergesort").index[0]
    best = hits[(hits["cell_line"] == line) & (hits["treatment"] == drug) & hits["is_hit"]]
    assert str(best.sort_values("rank")["protein"].iloc[0]) in text
    assert f"{line} + {drug}:" not in text  # no per-context tables
    # across contexts: the first protein of summary.tsv with its hit count
    top = example_result.summary.iloc[0]
    assert "Across contexts" in text
    assert f"{int(top['n_hit'])} / {n_ctx}" in text
