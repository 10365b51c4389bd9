"""Importers: turn screens as labs have them into the canonical well table.

- :func:`read_grid_file` / :func:`list_grids`: plate-reader grid exports (EnVision style).
- :func:`read_plate_map`, :func:`read_plate_list`: plate maps and sample sheets.
- :func:`import_plates`: grid exports + plate map + plate list -> well table.
- :func:`import_cellhts2`: a cellHTS2 screen folder -> (well table, metadata).

Every importer returns the well table of DESIGN section 1 (``plate, well, value, role,
protein, cell_line, treatment, replicate`` [, ``concentration``, ``batch``] plus
importer-specific columns such as ``content`` and ``source_file``); nothing downstream needs
to know which importer ran. See ``docs/import.md``.
"""

from __future__ import annotations

from secretome_rank.importers.assemble import import_plates
from secretome_rank.importers.cellhts2 import (
    DEFAULT_CELLHTS2_ROLE_MAP,
    import_cellhts2,
    read_description,
    read_plate_conf,
)
from secretome_rank.importers.grid import GridSelector, list_grids, read_grid_file
from secretome_rank.importers.platelist import read_plate_list
from secretome_rank.importers.platemap import CONTROL_WORDS, read_plate_map, validate_role_map

__all__ = [
    "CONTROL_WORDS",
    "DEFAULT_CELLHTS2_ROLE_MAP",
    "GridSelector",
    "import_cellhts2",
    "import_plates",
    "list_grids",
    "read_description",
    "read_grid_file",
    "read_plate_conf",
    "read_plate_list",
    "read_plate_map",
    "validate_role_map",
]
