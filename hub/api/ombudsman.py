"""GraphQL for the Ombudsman RI's compliance scores: entered by admins, read beside simpul's own zones."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.sla.ombudsman import OMBUDSMAN_LABEL, OmbudsmanScore, OmbudsmanZone, ScoredUnit, enter_score, scores

strawberry.enum(ScoredUnit, name="OmbudsmanScoredUnit", description=(
    "NODE: a unit connected through simpul, by its node code; REGION: a region's government assessed as a whole, "
    "by its Kemendagri code."))
strawberry.enum(OmbudsmanZone, name="OmbudsmanZone", description=(
    "The Ombudsman RI's zone of compliance with public-service standards, from its score: HIJAU 81-100, KUNING "
    "51-80.99, MERAH 0-50.99. Not simpul's ComplianceZone."))


@strawberry.type(name="OmbudsmanScore", description=(
    "The Ombudsman RI's compliance score (penilaian kepatuhan standar pelayanan publik) of a unit for a year: "
    "data an admin entered from the Ombudsman's publication, never computed by simpul."))
class OmbudsmanScoreInfo:
    unit_kind: ScoredUnit
    unit: str = strawberry.field(description="The node code, or the region code of the government assessed.")
    region_code: str
    year: int
    score: float = strawberry.field(description="0-100, as the Ombudsman published it.")
    zone: OmbudsmanZone
    label: str = strawberry.field(description=f"How to label it where it is shown: '{OMBUDSMAN_LABEL}'.")
    source: str = strawberry.field(description="The Ombudsman's publication it was taken from.")
    entered_by: str
    entered_at: datetime

    @classmethod
    def of(cls, s: OmbudsmanScore) -> OmbudsmanScoreInfo:
        return cls(unit_kind=s.unit_kind, unit=s.unit, region_code=s.region_code, year=s.year, score=float(s.score),
                   zone=s.zone, label=OMBUDSMAN_LABEL, source=s.source, entered_by=s.entered_by,
                   entered_at=s.entered_at)


@strawberry.input(description="The Ombudsman's score of one unit for one year, as published.")
class OmbudsmanScoreInput:
    unit_kind: ScoredUnit
    unit: str = strawberry.field(description="A node code (NODE) or a Kemendagri region code (REGION).")
    year: int
    score: float = strawberry.field(description="0 to 100, at most two decimals.")
    source: str = strawberry.field(description="The Ombudsman's publication, e.g. 'Laporan Penilaian Kepatuhan "
                                   "Standar Pelayanan Publik 2021'.")


@strawberry.type
class OmbudsmanQuery:
    @strawberry.field(description="The Ombudsman RI's compliance scores of units in a region subtree (default: the "
                      "caller's), of one year or every year.")
    async def ombudsman_scores(
        self, info: Info[Context, None], region_prefix: str | None = None, year: int | None = None
    ) -> list[OmbudsmanScoreInfo]:
        region = principal_of(info).region_asked(region_prefix, "read Ombudsman scores")
        return [OmbudsmanScoreInfo.of(s) for s in await scores(info.context.pool, region, year)]


@strawberry.type
class OmbudsmanMutation:
    @strawberry.mutation(description="Admin: enter (or correct) the Ombudsman RI's published compliance score of a "
                         "unit in the admin's region subtree for a year; audited (OMBUDSMAN_SCORE_ENTERED).")
    async def enter_ombudsman_score(self, info: Info[Context, None], score: OmbudsmanScoreInput) -> OmbudsmanScoreInfo:
        async with info.context.pool.acquire() as conn:
            entered = await enter_score(conn, principal_of(info), score.unit_kind, score.unit, score.year,
                                        str(score.score), score.source)
        return OmbudsmanScoreInfo.of(entered)
