"""``python -m secretome_rank.cli`` (same as ``python -m secretome_rank``)."""

from secretome_rank.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
