"""``python -m secretome_rank.cli`` (same as ``python -m secretome_rank``)."""

from secretome_rank.cli import entry_point

if __name__ == "__main__":  # pragma: no cover
    entry_point()
