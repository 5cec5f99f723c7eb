"""Where a report goes: the routing table, then up the region tree, never to nowhere.

A rule maps (region subtree, category, kind, level) to the node with
authority; NULL fields match anything and the most specific matching rule
wins. Without a rule, the report falls back up the region tree from its own
region: a unit there with authority over the category, then the kab/kota
desk, then the province desk, then the national desk.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TypeAlias

import asyncpg
from pydantic import BaseModel, ConfigDict

from hub.access.principal import Principal
from hub.audit import record
from hub.forwarding.ppid import ppid_nodes
from hub.nodes.registry import NodeRecord, Registry
from hub.nodes.status import NodeStatus
from hub.regions import region_name
from simpul.errors import InvalidInput
from simpul.wire import INTAKE_KINDS, NodeLevel, ReportKind, check_region_code, in_region

RULE_LEVELS = (NodeLevel.PROVINSI, NodeLevel.KABKOTA)
NO_PPID: Mapping[str, NodeRecord] = MappingProxyType({})
RULE_EXISTS = "a rule for this region, category, kind and level exists; remove it first"

Executor: TypeAlias = "asyncpg.Pool | asyncpg.Connection"  # anything that runs queries


class Rule(BaseModel):
    """A routing rule: reports in this region subtree (and category, kind, level) go to `target_node`, or with
    `target_ppid` to the PPID of the report's region (hub/forwarding/ppid.py)."""

    model_config = ConfigDict(frozen=True)

    id: int
    region_prefix: str
    category: str | None
    kind: ReportKind | None
    level: NodeLevel | None
    target_node: str | None
    created_by: str
    created_at: datetime
    target_ppid: bool = False

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Rule:
        return cls.model_validate(dict(row))

    def matches(self, region_code: str, category: str, kind: ReportKind) -> bool:
        return ((self.region_prefix == "" or in_region(region_code, self.region_prefix))
                and self.category in (None, category)
                and self.kind in (None, kind)
                and self.level in (None, region_level(region_code)))

    def specificity(self) -> tuple[int, int, int, int, int]:
        depth = len(self.region_prefix.split(".")) if self.region_prefix else 0
        return (-depth, self.category is None, self.kind is None, self.level is None, self.id)


def region_level(region_code: str) -> NodeLevel:
    """The administrative level a report's region falls under, for rules that name one."""
    return NodeLevel.PROVINSI if len(region_code.split(".")) == 1 else NodeLevel.KABKOTA


@dataclass(frozen=True)
class Decision:
    """Where a report goes and why; `target` is None only when no unit is left."""

    target: NodeRecord | None
    rule: Rule | None
    reason: str
    tried: tuple[str, ...]  # what was passed over, in order, and why

    def audit_detail(self) -> dict[str, str | None]:
        """Where the report went, as the audit log keeps it (never the report's content)."""
        return {"to": self.target.code if self.target else None, "reason": self.reason}


@dataclass(frozen=True)
class Routable:
    """What routing looks at in a report."""

    region_code: str
    category: str
    kind: ReportKind


class Router:
    """Decides targets from the rules and the registry."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.registry = Registry(pool)

    async def rules(self, region_prefix: str | None = None, db: Executor | None = None) -> list[Rule]:
        rows = await (db or self.pool).fetch(
            "SELECT * FROM routing_rules WHERE $1::text IS NULL OR region_prefix = $1"
            " OR region_prefix LIKE $1 || '.%' ORDER BY region_prefix, id",
            region_prefix,
        )
        return [Rule.from_row(r) for r in rows]

    async def add_rule(
        self, admin: Principal, region_prefix: str, category: str | None, kind: ReportKind | None,
        level: NodeLevel | None, target_node: str | None, target_ppid: bool = False,
    ) -> Rule:
        """Add a rule, refusing one that could not route anything sensibly."""
        if region_prefix:
            check_region_code(region_prefix)
            if region_name(region_prefix) is None:
                raise InvalidInput(f"region {region_prefix} is not in the Kemendagri region tree")
        admin.require(region_prefix, "add routing rules")
        if category is not None and not (category.strip() and len(category) <= 100):
            raise InvalidInput("category must be 1 to 100 characters, or omitted for any")
        if level is not None and level not in RULE_LEVELS:
            raise InvalidInput("a rule's level is PROVINSI or KABKOTA (the level of the report's region)")
        if (target_node is None) != target_ppid:
            raise InvalidInput("a rule targets either one node (targetNode) or the PPID of the report's region "
                               "(targetPpid: true)")
        if target_node is not None:
            await self._check_target(region_prefix, category, target_node)
        async with self.pool.acquire() as conn, conn.transaction():
            try:
                row = await conn.fetchrow(
                    "INSERT INTO routing_rules (region_prefix, category, kind, level, target_node, target_ppid,"
                    " created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                    region_prefix, category, kind.value if kind else None, level.value if level else None,
                    target_node, target_ppid, admin.name,
                )
            except asyncpg.UniqueViolationError:
                raise InvalidInput(RULE_EXISTS) from None
            rule = Rule.from_row(row)
            await record(conn, admin, "ROUTING_RULE_ADDED", f"rule {rule.id}", region_prefix, _detail(rule))
        return rule

    async def _check_target(self, region_prefix: str, category: str | None, target_node: str) -> None:
        """A rule's node: enrolled, active, in or over the rule's region, with authority over its category."""
        target = await self.registry.get(target_node)
        if target is None:
            raise InvalidInput(f"no node {target_node!r} is enrolled")
        if target.status != NodeStatus.ACTIVE:
            raise InvalidInput(f"node {target_node} is {target.status}, not ACTIVE")
        if target.kind in INTAKE_KINDS:
            raise InvalidInput(f"node {target_node} is an intake channel ({target.kind}) with nobody to handle "
                               "reports: route to a unit")
        if region_prefix and target.region_code and not (
            in_region(region_prefix, target.region_code) or in_region(target.region_code, region_prefix)
        ):
            raise InvalidInput(f"node {target_node} serves region {target.region_code}, "
                               f"which neither covers nor lies in {region_prefix}")
        if category is not None and target.level is NodeLevel.UNIT and category not in target.categories:
            raise InvalidInput(f"unit {target_node} has no authority over category {category!r}")

    async def remove_rule(self, admin: Principal, rule_id: int) -> Rule:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow("DELETE FROM routing_rules WHERE id = $1 RETURNING *", rule_id)
            if row is None:
                raise InvalidInput(f"no routing rule {rule_id}")
            rule = Rule.from_row(row)
            admin.require(rule.region_prefix, "remove routing rules")
            await record(conn, admin, "ROUTING_RULE_REMOVED", f"rule {rule.id}", rule.region_prefix, _detail(rule))
        return rule

    async def decide(
        self, report: Routable, exclude: Collection[str] = (), db: Executor | None = None
    ) -> Decision:
        """The node with authority over `report`, skipping nodes in `exclude`.

        Inside a transaction pass its connection as `db`: taking a second pooled
        connection while holding one can exhaust the pool and wait forever.
        """
        registry = Registry(db or self.pool)
        tried: list[str] = []
        segments = report.region_code.split(".")
        regions = [".".join(segments[:depth]) for depth in (1, 2)]
        rules = [r for r in sorted(await self.rules(db=db), key=Rule.specificity)
                 if r.matches(report.region_code, report.category, report.kind)]
        wants_ppid = report.kind is ReportKind.INFORMASI or any(r.target_ppid for r in rules)
        ppids = await ppid_nodes(db or self.pool, regions) if wants_ppid else {}
        for rule in rules:
            code = _nearest(report.region_code, ppids) if rule.target_ppid else rule.target_node
            if code is None:
                tried.append(f"rule #{rule.id}: no PPID is designated for {report.region_code} or its province")
                continue
            target = await registry.get(code)
            if target is None or target.status != NodeStatus.ACTIVE:
                tried.append(f"rule #{rule.id}: node {code} is not active")
            elif target.kind in INTAKE_KINDS:
                tried.append(f"rule #{rule.id}: node {code} is an intake channel ({target.kind}), not a unit")
            elif target.code in exclude:
                tried.append(f"rule #{rule.id}: node {target.code} returned this report")
            else:
                return Decision(target, rule, f"rule #{rule.id} ({_describe(rule)})", tuple(tried))
        active = await registry.serving(regions)
        ppid_of = {region: node for region, code in ppids.items() if (node := await registry.get(code)) is not None}
        for step, candidates in _fallbacks(report, active, ppid_of):
            for node in candidates:
                if node.code in exclude:
                    tried.append(f"{step}: node {node.code} returned this report")
                else:
                    return Decision(node, None, f"fallback: {step}{_tie(node, candidates, exclude)}", tuple(tried))
        return Decision(None, None, "no unit left to route to", tuple(tried))


async def shared_authority(db: Executor, code: str) -> list[str]:
    """One warning per category unit `code` claims that other units of its region claim too: without a rule, the
    fallback sends those reports to the first by code, which the admin should hear of when the second one joins."""
    rows = await db.fetch(
        "SELECT n.region_code, c.category, array_agg(o.code ORDER BY o.code) AS codes"
        " FROM nodes n CROSS JOIN unnest(n.categories) AS c(category)"
        " JOIN nodes o ON o.region_code = n.region_code AND c.category = ANY(o.categories)"
        " WHERE n.code = $1 AND n.level = 'UNIT' AND o.level = 'UNIT' AND o.status <> 'SUSPENDED'"
        " AND NOT o.kind = ANY($2::text[]) GROUP BY n.region_code, c.category HAVING count(*) > 1"
        " ORDER BY c.category", code, sorted(INTAKE_KINDS))
    return [f"units {', '.join(r['codes'][:-1])} and {r['codes'][-1]} {'both' if len(r['codes']) == 2 else 'all'}"
            f" claim category {r['category']} in {r['region_code']}: without a routing rule its reports go to"
            f" {r['codes'][0]}, the first by code; add one (addRoutingRule) to choose" for r in rows]


def _tie(chosen: NodeRecord, candidates: list[NodeRecord], exclude: Collection[str]) -> str:
    """How a step chose among several nodes that fit it alike (two units claiming one category in one region):
    said in the decision's reason, so an admin sees it and settles it with a routing rule."""
    others = [n.code for n in candidates if n is not chosen and n.code not in exclude]
    if not others:
        return ""
    return (f"; {len(others) + 1} nodes fit ({', '.join([chosen.code, *others])}): the first by code was chosen,"
            " a routing rule decides otherwise")


def _nearest(region_code: str, ppids: dict[str, str]) -> str | None:
    """The node of the PPID nearest the report's region: its kab/kota's, else its province's."""
    segments = region_code.split(".")
    return next((ppids[r] for r in (".".join(segments[:2]), segments[0]) if r in ppids), None)


def _detail(rule: Rule) -> dict[str, str | None]:
    """A rule as the audit log keeps it."""
    return {"category": rule.category, "kind": rule.kind.value if rule.kind else None,
            "level": rule.level.value if rule.level else None,
            "targetNode": rule.target_node if not rule.target_ppid else "PPID"}


def _describe(rule: Rule) -> str:
    parts = [f"region {rule.region_prefix or 'national'}"] + (["to the PPID"] if rule.target_ppid else [])
    if rule.category:
        parts.append(f"category {rule.category}")
    if rule.kind:
        parts.append(f"kind {rule.kind}")
    if rule.level:
        parts.append(f"level {rule.level}")
    return ", ".join(parts)


def _fallbacks(report: Routable, active: list[NodeRecord],
               ppid_of: Mapping[str, NodeRecord] = NO_PPID) -> list[tuple[str, list[NodeRecord]]]:
    """The region-tree fallback steps, most local first; an information request asks each region's PPID first.
    An intake channel (an SMS door) is never one: nobody there can handle a report."""
    active = [n for n in active if n.kind not in INTAKE_KINDS]
    segments = report.region_code.split(".")
    steps = []
    for depth in range(min(len(segments), 2), 0, -1):
        region = ".".join(segments[:depth])
        if report.kind is ReportKind.INFORMASI:
            ppid = ppid_of.get(region)
            steps.append((f"PPID of {region}", [ppid] if ppid and ppid.status == NodeStatus.ACTIVE else []))
        units = [n for n in active if n.level is NodeLevel.UNIT and n.region_code == region
                 and report.category in n.categories]
        steps.append((f"unit with authority over {report.category} in {region}", units))
        level = NodeLevel.KABKOTA if depth == 2 else NodeLevel.PROVINSI
        desks = [n for n in active if n.level is level and n.region_code == region]
        steps.append((f"{'kab/kota' if depth == 2 else 'province'} desk of {region}", desks))
    steps.append(("national desk", [n for n in active if n.level is NodeLevel.PUSAT]))
    return steps
