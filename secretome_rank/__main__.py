"""``python -m secretome_rank``."""

from secretome_rank.cli import entry_point

if __name__ == "__main__":
    entry_point()
