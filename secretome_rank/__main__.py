"""``python -m secretome_rank``."""

from secretome_rank.cli import main

main()
