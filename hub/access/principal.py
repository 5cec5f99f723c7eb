"""Who is asking: a principal with a role and the part of the federation it may see.

Scope is by region subtree ('' is the whole country) for people and
machines, and by node code for a node, which sees only itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import strawberry

from hub.nodes.selection import NodeSelection
from simpul.errors import NotAllowed
from simpul.wire import check_region_code, in_region


@strawberry.enum(description="What a principal may do; see docs/security.md.")
class Role(StrEnum):
    ADMIN = "ADMIN"  # manages routing, keys, users and reports in a region subtree
    SUPERVISOR = "SUPERVISOR"  # reads everything in a subtree, changes nothing (e.g. the Ombudsman)
    INTEGRATOR = "INTEGRATOR"  # a machine (ministry system, frontend) with a list of allowed operations
    NODE = "NODE"  # an enrolled node, by its signed requests: its own reports and deliveries
    PUBLIC = "PUBLIC"  # anyone: submit a report, track one, log in
    SYSTEM = "SYSTEM"  # the hub's own workers, as the audit log names them; never a caller, allowed nothing


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str  # who, for the audit log: "key 12 (Biro Organisasi Kaltim)", "user budi", "node 64.08"
    region_code: str = ""  # scope: region subtree, '' national; a node's own region
    node_code: str | None = None  # set for NODE only
    operations: frozenset[str] | None = None  # INTEGRATOR only
    key_id: int | None = None  # the API key or user behind it, for rate limits
    user_id: int | None = None
    published: bool = False  # a key published in a page: limited per client address, as the public is

    @property
    def rate_key(self) -> str:
        """One bucket per key, user or node; the public is limited per address instead."""
        if self.key_id is not None:
            return f"key:{self.key_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"{self.role.value.lower()}:{self.node_code or self.name}"

    def limited_as(self, client: str) -> str:
        """Whose rate and cost budget a call from `client` spends: the caller's own, or, for a published key
        (which every visitor of a portal's page holds), that key's at this client address."""
        return f"{self.rate_key}@{client}" if self.published else self.rate_key

    def covers(self, region_code: str) -> bool:
        """Whether a region lies in this principal's subtree (never, for the public, a node or the hub)."""
        if self.role in (Role.PUBLIC, Role.NODE, Role.SYSTEM):
            return False
        return self.region_code == "" or in_region(region_code, self.region_code)

    def require(self, region_code: str, action: str) -> None:
        if not self.covers(region_code):
            scope = self.region_code or "national"
            raise NotAllowed(f"{self.role.value.lower()} of {scope} may not {action} in region "
                             f"{region_code or 'national'}")

    def region_asked(self, region_prefix: str | None, action: str) -> str:
        """The region subtree a request names (its own scope when it names none), checked and in scope."""
        region = self.region_code if region_prefix is None else region_prefix.strip()
        if region:
            check_region_code(region)
        self.require(region, action)
        return region

    def narrow(self, selection: NodeSelection) -> NodeSelection:
        """The nodes of `selection` this principal may see; no other node is ever called for it."""
        if self.role is Role.PUBLIC:
            return replace(selection, codes=())
        if self.role is Role.NODE:
            own = (self.node_code,) if self.node_code else ()
            codes = own if selection.codes is None else tuple(c for c in selection.codes if c in own)
            return replace(selection, codes=codes)
        asked, mine = selection.region_prefix, self.region_code
        if mine == "" or (asked is not None and in_region(asked, mine)):
            return selection
        if asked is None or in_region(mine, asked):
            return replace(selection, region_prefix=mine)
        return replace(selection, codes=())  # disjoint subtrees: nothing


PUBLIC = Principal(role=Role.PUBLIC, name="public")


def node_principal(code: str, region_code: str) -> Principal:
    """An enrolled node, as its signed requests and the audit log name it."""
    return Principal(role=Role.NODE, name=f"node {code}", region_code=region_code, node_code=code)
