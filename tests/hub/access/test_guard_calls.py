"""Guard.admit_call: a call from outside GraphQL (the Open311 facade) meets the same policy and rate limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hub.access.authn import Authenticator, NotAuthenticated
from hub.access.guard import Guard, LimitExceeded
from hub.access.limits import Limits
from hub.access.principal import PUBLIC, Principal, Role
from hub.nodes.registry import Registry
from simpul.errors import NotAllowed

PORTAL = Principal(role=Role.INTEGRATOR, name="key 7 (portal)", region_code="64", operations=frozenset({"stats"}),
                   key_id=7)


def _guard(limits: Limits) -> Guard:
    return Guard(Authenticator(None, 300), Registry(None), limits)  # admit_call reads no database


async def test_a_call_is_allowed_or_refused_as_the_field_it_stands_for() -> None:
    guard = _guard(Limits())
    await guard.admit_call(PUBLIC, ["trackReport"], "10.0.0.1")
    await guard.admit_call(PORTAL, ["submitReport"], "10.0.0.1")  # public fields need no listed operation
    with pytest.raises(NotAuthenticated):
        await guard.admit_call(PUBLIC, ["reports"], "10.0.0.1")
    with pytest.raises(NotAllowed, match="not allowed reports"):
        await guard.admit_call(PORTAL, ["reports"], "10.0.0.1")
    assert not guard.allowed(PORTAL, "reports") and guard.allowed(PORTAL, "stats")


async def test_public_calls_spend_the_addresss_rate_one_per_field() -> None:
    guard = _guard(Limits(rate_public="3/minute"))
    await guard.admit_call(PUBLIC, ["trackReport", "trackReport"], "10.0.0.2")
    await guard.admit_call(PUBLIC, ["trackReport"], "10.0.0.3")  # another address has its own
    with pytest.raises(LimitExceeded, match="from this address"):
        await guard.admit_call(PUBLIC, ["trackReport", "trackReport"], "10.0.0.2")


async def test_a_dashboard_download_spends_a_ledger_scan_from_the_callers_budget() -> None:
    guard = _guard(Limits(rate_cost="25/minute"))
    supervisor = Principal(role=Role.SUPERVISOR, name="key 8 (ombudsman)", key_id=8)
    await guard.admit_call(supervisor, ["complianceZones"], "10.0.0.4")
    await guard.admit_call(supervisor, ["complianceZones"], "10.0.0.4")
    with pytest.raises(LimitExceeded, match="costs 10"):
        await guard.admit_call(supervisor, ["complianceZones"], "10.0.0.4")
    await guard.admit_call(supervisor, ["trackReport"], "10.0.0.4")  # a lookup costs nothing from the budget


async def test_a_published_key_spends_a_budget_per_visitors_address_and_another_key_one_for_all() -> None:
    guard = _guard(Limits(rate_principal="2/minute", rate_cost="1000/minute"))
    published = replace(PORTAL, published=True)
    for visitor in ("10.0.1.1", "10.0.1.2"):  # two visitors of the portal's page
        await guard.admit_call(published, ["stats"], visitor)
        await guard.admit_call(published, ["stats"], visitor)
    with pytest.raises(LimitExceeded, match="for this caller"):
        await guard.admit_call(published, ["stats"], "10.0.1.1")
    ministry = replace(PORTAL, key_id=9)  # an integrator's key, kept in its server: one budget wherever it calls from
    await guard.admit_call(ministry, ["stats"], "10.0.1.1")
    await guard.admit_call(ministry, ["stats"], "10.0.1.2")
    with pytest.raises(LimitExceeded, match="for this caller"):
        await guard.admit_call(ministry, ["stats"], "10.0.1.3")
