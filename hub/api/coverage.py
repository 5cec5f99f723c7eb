"""GraphQL for connection coverage (keterhubungan): the register of expected units and connected / expected."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.coverage.figure import Coverage, UnitCoverage, active_nodes, connect, region_coverage
from hub.coverage.register import Declaration, UnitKind, declare_unit, declared_units, known_region, withdraw_unit
from hub.regions import region_name
from simpul.wire import check_aware_time

strawberry.enum(UnitKind, name="ExpectedUnitKind", description=(
    "PROVINSI, KABKOTA: a government from the Kemendagri region list; DECLARED: a ministry, agency or OPD an "
    "admin declared."))


@strawberry.type(description="A unit that should be connected to SP4N-LAPOR! through simpul.")
class ExpectedUnit:
    kind: UnitKind
    name: str
    region_code: str = strawberry.field(description="Its region; for a declared unit, its parent region "
                                        "('' national).")
    connected_node: str | None = strawberry.field(
        description="The ACTIVE node that connects it; null: not connected (never enrolled, pending or suspended).")
    id: int | None = strawberry.field(description="Declared units only: the id withdrawUnit takes.")
    node_code: str | None = strawberry.field(description="Declared units: the node code it connects as.")
    sk_number: str | None
    sk_date: date | None
    legal_basis: str = strawberry.field(description="Why it is expected to be connected.")
    declared_by: str | None
    declared_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    withdrawal_reason: str | None

    @classmethod
    def of(cls, covered: UnitCoverage) -> ExpectedUnit:
        u = covered.unit
        return cls(kind=u.kind, name=u.name, region_code=u.region_code, connected_node=covered.node_code, id=u.id,
                   node_code=u.node_code, sk_number=u.sk_number, sk_date=u.sk_date, legal_basis=u.legal_basis,
                   declared_by=u.declared_by, declared_at=u.declared_at, withdrawn_by=u.withdrawn_by,
                   withdrawn_at=u.withdrawn_at, withdrawal_reason=u.withdrawal_reason)


@strawberry.type(description="Connected / expected units of one region subtree, now.")
class RegionCoverage:
    region_code: str
    region_name: str | None
    expected: int = strawberry.field(description="Units that should be connected: governments and declared units.")
    connected: int = strawberry.field(description="Of those, the ones an ACTIVE node stands for.")
    share: float | None = strawberry.field(description="connected / expected; null when none is expected.")
    not_connected: list[ExpectedUnit] = strawberry.field(description="Expected units no active node stands for.")
    units: list[ExpectedUnit]

    @classmethod
    def of(cls, c: Coverage) -> RegionCoverage:
        return cls(region_code=c.region_code, region_name=region_name(c.region_code), expected=c.expected,
                   connected=c.connected, share=c.share,
                   not_connected=[ExpectedUnit.of(u) for u in c.units if not u.connected],
                   units=[ExpectedUnit.of(u) for u in c.units])


@strawberry.type(name="ConnectionCoverage", description="A region subtree's coverage, and the same per province "
                 "(empty code: national ministries and agencies).")
class CoverageAnswer:
    region: RegionCoverage
    provinces: list[RegionCoverage]


@strawberry.input(description="A unit an admin declares should be connected (a ministry, agency or OPD).")
class DeclaredUnitInput:
    name: str
    region_code: str = strawberry.field(description="Its parent region (a province for a provincial OPD); '' "
                                        "for a national ministry or agency (national admins only).")
    legal_basis: str = strawberry.field(description="Why it must be connected, e.g. 'Perpres 76/2013; "
                                        "Pergub Kaltara 12/2019'.")
    node_code: str | None = strawberry.field(default=None, description="The node code it enrols (or enrolled) as.")
    sk_number: str | None = strawberry.field(default=None,
                                             description="SK setting up its complaint unit; with skDate.")
    sk_date: date | None = None


@strawberry.type
class CoverageQuery:
    @strawberry.field(description="Connection coverage (keterhubungan) of a region subtree (default: the caller's): "
                      "expected units, the connected ones, and which are not connected; also per province. Now, or "
                      "as it stood at asOf (from enrolments, suspensions and declarations the hub recorded).")
    async def coverage(self, info: Info[Context, None], region_prefix: str | None = None,
                       as_of: datetime | None = None) -> CoverageAnswer:
        region = known_region(principal_of(info).region_asked(region_prefix, "read connection coverage"))
        moment = check_aware_time(as_of, "asOf") if as_of is not None else None
        found = await region_coverage(info.context.pool, region, moment)
        return CoverageAnswer(region=RegionCoverage.of(found),
                              provinces=[RegionCoverage.of(p) for p in found.by_province()])

    @strawberry.field(description="Units declared in a region subtree (default: the caller's), oldest first; "
                      "withdrawn ones too with withdrawn: true.")
    async def declared_units(
        self, info: Info[Context, None], region_prefix: str | None = None, withdrawn: bool = False
    ) -> list[ExpectedUnit]:
        region = known_region(principal_of(info).region_asked(region_prefix, "read declared units"))
        pool = info.context.pool
        found = connect(region, await declared_units(pool, region, withdrawn), await active_nodes(pool))
        return [ExpectedUnit.of(u) for u in found.units]


@strawberry.type
class CoverageMutation:
    @strawberry.mutation(description="Admin: declare that a unit in the admin's subtree should be connected; it "
                         "counts in coverage from now, as not connected until its node is active.")
    async def declare_unit(self, info: Info[Context, None], unit: DeclaredUnitInput) -> ExpectedUnit:
        declaration = Declaration(name=unit.name, region_code=unit.region_code.strip(), legal_basis=unit.legal_basis,
                                  node_code=unit.node_code, sk_number=unit.sk_number, sk_date=unit.sk_date)
        async with info.context.pool.acquire() as conn:
            made = await declare_unit(conn, principal_of(info), declaration,
                                      info.context.settings.coverage_require_sk)
            return ExpectedUnit.of(connect(made.region_code, [made], await active_nodes(conn)).units[0])

    @strawberry.mutation(description="Admin: withdraw a declared unit (merged, dissolved, declared by mistake), "
                         "saying why; it leaves the coverage denominator and stays listed as withdrawn.")
    async def withdraw_unit(self, info: Info[Context, None], id: int, reason: str) -> ExpectedUnit:
        async with info.context.pool.acquire() as conn:
            gone = await withdraw_unit(conn, principal_of(info), id, reason)
        return ExpectedUnit.of(UnitCoverage(gone, None))
