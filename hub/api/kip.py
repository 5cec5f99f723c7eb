"""GraphQL for permintaan informasi (UU 14/2008, KIP): the one extension, the written answer, the objection.

The hub times both by its own clock: the moment the mutation is made is the moment recorded.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.forwarding.kip import InformationOutcome, InformationRequests
from hub.sla.clocks import SlaDays


def _requests(info: Info[Context, None]) -> InformationRequests:
    return InformationRequests(info.context.pool, SlaDays.from_settings(info.context.settings))


@strawberry.type
class KipMutation:
    @strawberry.mutation(description="Admin of the report's region: extend a permintaan "
                         "informasi once, by at most kip-extension-days working days, with a written reason, "
                         "before its first period ends (UU 14/2008 art. 22(8)).")
    async def extend_information_request(
        self, info: Info[Context, None], tracking_number: str, working_days: int, reason: str
    ) -> bool:
        await _requests(info).extend(principal_of(info), tracking_number, working_days, reason)
        return True

    @strawberry.mutation(description="Admin of the report's region: record the written "
                         "answer to a permintaan informasi and its outcome; a refusal names its exemption "
                         "(UU 14/2008 art. 17, 22(7)). Stops the KIP clock.")
    async def answer_information_request(
        self, info: Info[Context, None], tracking_number: str, outcome: InformationOutcome, text: str,
        exemption: str | None = None,
    ) -> bool:
        await _requests(info).answer(principal_of(info), tracking_number, outcome, text, exemption)
        return True

    @strawberry.mutation(description="Admin of the report's region: register the requester's objection "
                         "(keberatan) to the PPID's superior, once, after the answer or a missed deadline and within "
                         "kip-objection-days working days; starts the superior's clock (UU 14/2008 art. 35-36).")
    async def object_to_information_answer(self, info: Info[Context, None], tracking_number: str,
                                           reason: str) -> bool:
        await _requests(info).object(principal_of(info), tracking_number, reason)
        return True

    @strawberry.mutation(description="Admin of the report's region: record the superior's written response to "
                         "the objection (UU 14/2008 art. 36(2)). Stops the superior's clock.")
    async def answer_information_objection(self, info: Info[Context, None], tracking_number: str,
                                           text: str) -> bool:
        await _requests(info).answer_objection(principal_of(info), tracking_number, text)
        return True
