"""Indonesia as a tile map: one tile per province on a fixed grid, roughly where it lies (Aceh top left,
the Papua provinces right, Java along the bottom), so the dashboard draws the country without map data.

The page colours each tile by the province's zone and writes its figures on it; a province without an
active unit is a tile of its own kind ("tanpa unit"), never a zone.
"""

from __future__ import annotations

from typing import Any

from hub.regions import region_name

# (Kemendagri code, ISO 3166-2:ID abbreviation, row, column), rows from the north, columns from the west
TILES = (
    ("11", "AC", 0, 0),
    ("12", "SU", 1, 1), ("21", "KR", 1, 3), ("65", "KU", 1, 7), ("75", "GO", 1, 10), ("71", "SA", 1, 11),
    ("82", "MU", 1, 12),
    ("13", "SB", 2, 1), ("14", "RI", 2, 2), ("61", "KB", 2, 5), ("62", "KT", 2, 6), ("64", "KI", 2, 7),
    ("76", "SR", 2, 9), ("72", "ST", 2, 10), ("96", "PD", 2, 13), ("92", "PB", 2, 14), ("91", "PA", 2, 15),
    ("17", "BE", 3, 1), ("15", "JA", 3, 2), ("63", "KS", 3, 7), ("73", "SN", 3, 10), ("74", "SG", 3, 11),
    ("81", "MA", 3, 12), ("94", "PT", 3, 14), ("95", "PE", 3, 15),
    ("16", "SS", 4, 2), ("19", "BB", 4, 3), ("93", "PS", 4, 15),
    ("18", "LA", 5, 3), ("36", "BT", 5, 4), ("31", "JK", 5, 5), ("32", "JB", 5, 6), ("33", "JT", 5, 7),
    ("35", "JI", 5, 8), ("51", "BA", 5, 9), ("52", "NB", 5, 10), ("53", "NT", 5, 11),
    ("34", "YO", 6, 7),
)


def tile_map() -> dict[str, Any]:
    """The grid's size and each province's tile, named from the region tree, as the page reads it."""
    return {
        "rows": max(row for _, _, row, _ in TILES) + 1,
        "columns": max(column for _, _, _, column in TILES) + 1,
        "tiles": [{"code": code, "abbreviation": short, "name": region_name(code), "row": row, "column": column}
                  for code, short, row, column in TILES],
    }
