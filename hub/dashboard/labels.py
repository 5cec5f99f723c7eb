"""How the dashboard's downloads and charts write its figures: shares the Indonesian way, stage names, zone
colours (the page's CSS uses the same ones), so the PDF's tables and charts and the page agree."""

from __future__ import annotations

from hub.sla.clocks import Stage
from hub.sla.zones import Zone

STAGE_NAMES = {Stage.VERIFICATION: "Verifikasi (3 HK)", Stage.FOLLOW_UP: "Tindak lanjut (5 HK)",
               Stage.OUTER_LIMIT: "Batas 60 hari", Stage.INFORMATION: "Jawaban informasi (KIP)",
               Stage.OBJECTION: "Tanggapan keberatan"}
ZONE_COLOURS = {Zone.GREEN: "#2e7d32", Zone.YELLOW: "#f9a825", Zone.RED: "#c62828", Zone.GREY: "#9e9e9e"}
ZONE_TEXT_COLOURS = {Zone.GREEN: "#ffffff", Zone.YELLOW: "#000000", Zone.RED: "#ffffff", Zone.GREY: "#000000"}


def percent(value: float | None) -> str:
    """A share as Indonesians write it (66,7%); a dash when there is nothing to measure."""
    return "-" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def rgb(colour: str) -> tuple[int, int, int]:
    """#2e7d32 -> (46, 125, 50), as fpdf's table cells take it."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
