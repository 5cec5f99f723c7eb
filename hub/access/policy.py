"""Who may call what: one table for every root field of the hub's API.

A field missing here is refused to everyone (a test checks that every
field of the schema is listed). Region scope is applied by the principal
itself (Principal.narrow for nodes to call, Principal.require for a
region a change touches); this table decides roles and costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from hub.access.principal import Role

ADMIN, SUPERVISOR, INTEGRATOR, NODE, PUBLIC = Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATOR, Role.NODE, Role.PUBLIC


class Cost(Enum):
    NONE = "none"  # served from the hub's database
    ONE_NODE = "one"  # calls one node
    FAN_OUT = "fan-out"  # calls every node in scope: costs one per node
    PER_ENTITY = "per-entity"  # _entities: one per representation, each priced as a one-node call
    SCAN = "scan"  # scans the ledger or the federation index of a region: SCAN_PRICE from the budget per minute


SCAN_PRICE = 10  # what a ledger scan costs from the per-minute budget, in node calls (none from one request's)


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    cost: Cost = Cost.NONE
    public_limit: bool = False  # counts against the per-address limit for anonymous callers


def _rule(*roles: Role, cost: Cost = Cost.NONE, public_limit: bool = False) -> Rule:
    return Rule(frozenset(roles), cost, public_limit)


EVERYONE = (ADMIN, SUPERVISOR, INTEGRATOR, NODE, PUBLIC)
READERS = (ADMIN, SUPERVISOR, INTEGRATOR)

POLICY: dict[str, Rule] = {
    # the public door
    "submitReport": _rule(ADMIN, SUPERVISOR, INTEGRATOR, PUBLIC, public_limit=True),
    "trackReport": _rule(*EVERYONE, public_limit=True),
    "replyToReport": _rule(ADMIN, SUPERVISOR, INTEGRATOR, PUBLIC, public_limit=True),
    "login": _rule(*EVERYONE, public_limit=True),
    "logout": _rule(ADMIN, SUPERVISOR),
    "changePassword": _rule(ADMIN, SUPERVISOR),
    "me": _rule(*EVERYONE),
    # federated reads: a node reads only its own
    "nodes": _rule(*READERS, NODE),
    "node": _rule(*READERS, NODE),
    "reports": _rule(*READERS, NODE, cost=Cost.FAN_OUT),
    "report": _rule(*READERS, NODE, cost=Cost.ONE_NODE),
    "stats": _rule(*READERS, NODE, cost=Cost.FAN_OUT),
    "deliveries": _rule(ADMIN, SUPERVISOR, NODE, cost=Cost.SCAN),
    # oversight reads
    "routeReport": _rule(*READERS),
    "routingRules": _rule(*READERS),
    "ppids": _rule(*READERS),
    "overdueReports": _rule(*READERS, cost=Cost.SCAN),
    "compliance": _rule(*READERS, cost=Cost.SCAN),
    "complianceZones": _rule(ADMIN, SUPERVISOR, cost=Cost.SCAN),  # the compliance dashboard
    "complianceSeries": _rule(ADMIN, SUPERVISOR, cost=Cost.SCAN),  # the dashboard's charts, month by month
    "zoneThresholds": _rule(*READERS),  # the hub's zone settings, for the dashboard's legend
    "ombudsmanScores": _rule(*READERS),  # the Ombudsman's published scores, entered by admins
    "holidays": _rule(*READERS, NODE),
    "coverage": _rule(*READERS),  # connection coverage (keterhubungan), from the hub's database
    "declaredUnits": _rule(*READERS),
    "reportChain": _rule(ADMIN, SUPERVISOR),
    "deadLetters": _rule(ADMIN, SUPERVISOR, cost=Cost.SCAN),
    "ledgerChanges": _rule(ADMIN, SUPERVISOR, cost=Cost.SCAN),
    "auditLog": _rule(ADMIN, SUPERVISOR, cost=Cost.SCAN),
    "apiKeys": _rule(ADMIN),
    "events": _rule(*READERS),
    # changes: admins of the region only
    "addRoutingRule": _rule(ADMIN),
    "removeRoutingRule": _rule(ADMIN),
    "designatePpid": _rule(ADMIN),
    "reassignReport": _rule(ADMIN),
    "verifyReport": _rule(ADMIN),  # verifikasi: retitle, reclassify, anonim, rahasia
    "extendInformationRequest": _rule(ADMIN),
    "answerInformationRequest": _rule(ADMIN),
    "objectToInformationAnswer": _rule(ADMIN),
    "answerInformationObjection": _rule(ADMIN),
    "retryDelivery": _rule(ADMIN),
    "rerouteReport": _rule(ADMIN),
    "addHoliday": _rule(ADMIN),
    "removeHoliday": _rule(ADMIN),
    "acceptForwardedReport": _rule(ADMIN),
    "issueApiKey": _rule(ADMIN),
    "revokeApiKey": _rule(ADMIN),
    "createUser": _rule(ADMIN),
    "suspendNode": _rule(ADMIN),
    "reactivateNode": _rule(ADMIN),
    "declareUnit": _rule(ADMIN),
    "enterOmbudsmanScore": _rule(ADMIN),
    "withdrawUnit": _rule(ADMIN),
    # Apollo Federation (hub/api/subgraph.py): the subgraph SDL is governed by the introspection setting,
    # entities are read as report(id) and node(code) for the caller whose Authorization a gateway forwards
    "_service": _rule(*EVERYONE, public_limit=True),
    "_entities": _rule(*READERS, NODE, cost=Cost.PER_ENTITY),
}

INTEGRATOR_OPERATIONS = frozenset(name for name, rule in POLICY.items() if INTEGRATOR in rule.roles)

# What a key published in a page (a portal's, which every visitor holds) may be given: counts and the
# federation's public facts, never a report, a tracking number, an event or a person, reporter or officer
# (coverage, declaredUnits, ppids and ombudsmanScores name the admin who entered them; a test walks the schema).
PUBLISHABLE_OPERATIONS = frozenset({"stats", "compliance", "zoneThresholds", "holidays"})
