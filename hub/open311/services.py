"""The service list: the complaint categories the federation knows, as GeoReport v2 services.

A category is known when an active node declares authority over it (enrolment's `categories`) or a
routing rule names it; `pelayanan-publik`, the general category, is always there, so a client can
submit before any unit declares one. The service code is the category itself, so the list changes
only when units or rules do.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.forwarding.routing import Router
from hub.nodes.registry import Registry
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from simpul.wire import ReportKind, in_region

GENERAL = "pelayanan-publik"
GROUP = "Pengaduan pelayanan publik"

KIND_NAMES = {ReportKind.PENGADUAN: "Pengaduan (complaint)", ReportKind.ASPIRASI: "Aspirasi (aspiration)",
              ReportKind.INFORMASI: "Permintaan informasi (information request)"}
YES_NO = [{"key": "false", "name": "Tidak (no)"}, {"key": "true", "name": "Ya (yes)"}]

# What Open311 has no field for, asked as the service's attributes (the same for every service).
ATTRIBUTES = [
    {"variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
     "datatype_description": None, "order": 1,
     "description": "Jenis laporan (kind of report); pengaduan when not given",
     "values": [{"key": kind.value, "name": name} for kind, name in KIND_NAMES.items()]},
    {"variable": True, "code": "anonymous", "datatype": "singlevaluelist", "required": False,
     "datatype_description": None, "order": 2,
     "description": "Anonim: no name or contact is kept; send none with it", "values": YES_NO},
    {"variable": True, "code": "confidential", "datatype": "singlevaluelist", "required": False,
     "datatype_description": None, "order": 3,
     "description": "Rahasia: only the handling unit sees the report and its reporter", "values": YES_NO},
]


@dataclass(frozen=True)
class Service:
    code: str

    @property
    def name(self) -> str:
        return service_name(self.code)

    @property
    def description(self) -> str:
        if self.code == GENERAL:
            return ("Pengaduan, aspirasi atau permintaan informasi tentang pelayanan publik apa pun; diteruskan ke "
                    "unit yang berwenang di wilayah laporan.")
        return f"Laporan tentang {self.name.lower()}; diteruskan ke unit yang berwenang di wilayah laporan."

    def record(self) -> dict[str, object]:
        return {"service_code": self.code, "service_name": self.name, "description": self.description,
                "metadata": True, "type": "realtime", "keywords": ", ".join(self.code.split("-")), "group": GROUP}

    def definition(self) -> dict[str, object]:
        return {"service_code": self.code, "attributes": ATTRIBUTES}


def service_name(category: str) -> str:
    """`pemberdayaan-perempuan` -> `Pemberdayaan perempuan`."""
    words = category.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _related(region_code: str, jurisdiction: str | None) -> bool:
    """Whether something serving `region_code` may handle reports from `jurisdiction` (above it, or in it)."""
    return (jurisdiction is None or region_code == "" or in_region(jurisdiction, region_code)
            or in_region(region_code, jurisdiction))


async def catalogue(registry: Registry, router: Router, jurisdiction: str | None = None) -> list[Service]:
    """Every service, by code; with a jurisdiction, those that units or rules above or in it handle."""
    codes = {GENERAL}
    for node in await registry.select(NodeSelection(status=NodeStatus.ACTIVE)):
        if _related(node.region_code, jurisdiction):
            codes.update(node.categories)
    for rule in await router.rules():
        if rule.category and _related(rule.region_prefix, jurisdiction):
            codes.add(rule.category)
    return [Service(code) for code in sorted(codes)]
