"""GraphQL for access: who am I, log in and out, API keys, users, the audit log, deliveries."""

from __future__ import annotations

from datetime import datetime

import strawberry
from pydantic import Field
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.access.authn import Credentials
from hub.access.guard import principal_of
from hub.access.keys import ApiKey, issue_key, list_keys, revoke_key
from hub.access.policy import INTEGRATOR_OPERATIONS
from hub.access.principal import Principal, Role
from hub.access.users import User, change_password, create_user, log_in, log_out
from hub.api.context import Context
from hub.audit import Entry, entries
from hub.forwarding.delivery import deliveries
from hub.forwarding.ledger import DeliveryState
from hub.settings import HubSettings
from simpul.errors import InvalidInput, NotAllowed
from simpul.wire import check_page_size


@strawberry.type(description="The caller, as the hub sees it.")
class Me:
    role: Role
    name: str
    region_code: str = strawberry.field(description="Scope: region subtree; empty is national.")
    node_code: str | None
    operations: list[str] | None = strawberry.field(description="An integrator key's allowed operations.")

    @classmethod
    def of(cls, p: Principal) -> Me:
        return cls(role=p.role, name=p.name, region_code=p.region_code, node_code=p.node_code,
                   operations=sorted(p.operations) if p.operations is not None else None)


@strawberry.pydantic.type
class UserInfo(User):
    id: strawberry.Private[int]


@strawberry.type(description="A session: send the token as 'Authorization: Bearer <token>' until it expires.")
class LoginSession:
    token: str
    expires_at: datetime
    user: UserInfo


@strawberry.pydantic.type(description="An API key; its secret is shown once, when issued.")
class ApiKeyInfo(ApiKey):
    last_used_at: datetime | None = Field(description="To the minute.")


@strawberry.type
class IssuedApiKey:
    key: ApiKeyInfo
    secret: str = strawberry.field(description="Shown once; the hub keeps only its digest.")


@strawberry.input
class ApiKeyInput:
    role: Role
    name: str = strawberry.field(description="Whose key it is, e.g. 'SP4N-LAPOR! Kemenpan-RB'.")
    region_code: str = strawberry.field(description="Scope: region subtree; empty for national (national admins).")
    operations: list[str] | None = strawberry.field(default=None, description="Integrators: root fields allowed.")
    published: bool = strawberry.field(default=False, description="Integrators: a key to publish in a page (a "
                                       "portal's): it may read counts only, and is limited per client address.")


@strawberry.input
class UserInput:
    username: str
    name: str
    role: Role
    region_code: str
    password: str = strawberry.field(description="At least 12 characters; stored as an argon2 hash.")


@strawberry.pydantic.type(description="One write, as the audit log keeps it.")
class AuditEntry(Entry):
    detail: JSON | None


@strawberry.type(description="One delivery of a report to a node.")
class Delivery:
    id: int
    tracking_number: str
    purpose: str
    target_node: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@strawberry.type
class AccessQuery:
    @strawberry.field(description="Who the hub takes the caller for, and their scope.")
    def me(self, info: Info[Context, None]) -> Me:
        return Me.of(principal_of(info))

    @strawberry.field(description="Admin: API keys in the admin's subtree, newest first.")
    async def api_keys(self, info: Info[Context, None]) -> list[ApiKeyInfo]:
        return [ApiKeyInfo.model_validate(k, from_attributes=True)
                for k in await list_keys(info.context.pool, principal_of(info))]

    @strawberry.field(description="Admin, supervisor: the audit log in their subtree, newest first, before a cursor "
                      "(an entry id). Entries without a region (failed logins) are for national principals.")
    async def audit_log(
        self, info: Info[Context, None], region_prefix: str | None = None, action: str | None = None,
        first: int = 100, before: int | None = None,
    ) -> list[AuditEntry]:
        region = principal_of(info).region_asked(region_prefix, "read the audit log")
        found = await entries(info.context.pool, region, action, before, check_page_size(first))
        return [AuditEntry.model_validate(e, from_attributes=True) for e in found]

    @strawberry.field(description="Deliveries to nodes in the caller's scope (a node: its own), newest first.")
    async def deliveries(
        self, info: Info[Context, None], node_code: str | None = None, state: str | None = None, first: int = 100,
    ) -> list[Delivery]:
        principal = principal_of(info)
        if principal.role is Role.NODE:
            node_code = principal.node_code if node_code is None else node_code
            if node_code != principal.node_code:
                raise NotAllowed("a node sees only its own deliveries")
        if state is not None and state not in set(DeliveryState):
            raise InvalidInput(f"state is {', '.join(DeliveryState)}")
        region = principal.region_code if principal.role is not Role.NODE else None
        found = await deliveries(info.context.pool, node_code, DeliveryState(state) if state else None, region,
                                 check_page_size(first))
        return [Delivery(id=d.id, tracking_number=d.tracking_number, purpose=d.purpose.value, target_node=d.target_node,
                         state=d.state.value, attempts=d.attempts, last_error=d.last_error, created_at=d.created_at,
                         delivered_at=d.delivered_at) for d in found]


def _session_token(info: Info[Context, None]) -> str:
    """The bearer token this request came with (a session's, when a person sent it)."""
    credentials: Credentials = info.context.credentials
    return (credentials.authorization or "").partition(" ")[2].strip()



@strawberry.type
class AccessMutation:
    @strawberry.mutation(description="Log in with a username and password; the same refusal for any wrong pair.")
    async def login(self, info: Info[Context, None], username: str, password: str) -> LoginSession:
        settings: HubSettings = info.context.settings
        session = await log_in(info.context.pool, info.context.passwords, username, password, settings.session_ttl)
        return LoginSession(token=session.token, expires_at=session.expires_at,
                            user=UserInfo.model_validate(session.user, from_attributes=True))

    @strawberry.mutation(description="End the session this request was sent with.")
    async def logout(self, info: Info[Context, None]) -> bool:
        return await log_out(info.context.pool, _session_token(info))

    @strawberry.mutation(description="A person logged in with a session changes their password, giving the "
                         "current one; their other sessions end. Returns how many ended.")
    async def change_password(self, info: Info[Context, None], current_password: str, new_password: str) -> int:
        return await change_password(info.context.pool, info.context.passwords, principal_of(info),
                                     _session_token(info), current_password, new_password)

    @strawberry.mutation(description="Admin: issue an API key in the admin's subtree; the secret is shown once.")
    async def issue_api_key(self, info: Info[Context, None], key: ApiKeyInput) -> IssuedApiKey:
        async with info.context.pool.acquire() as conn:
            issued, secret = await issue_key(conn, principal_of(info), key.role, key.name, key.region_code.strip(),
                                             key.operations, INTEGRATOR_OPERATIONS, key.published)
        return IssuedApiKey(key=ApiKeyInfo.model_validate(issued, from_attributes=True), secret=secret)

    @strawberry.mutation(description="Admin: revoke a key in the admin's subtree; it stops working at once.")
    async def revoke_api_key(self, info: Info[Context, None], id: int) -> ApiKeyInfo:
        async with info.context.pool.acquire() as conn:
            return ApiKeyInfo.model_validate(await revoke_key(conn, principal_of(info), id), from_attributes=True)

    @strawberry.mutation(description="Admin: add a person (admin or supervisor) in the admin's subtree.")
    async def create_user(self, info: Info[Context, None], user: UserInput) -> UserInfo:
        async with info.context.pool.acquire() as conn:
            created = await create_user(conn, principal_of(info), user.username, user.name, user.role,
                                        user.region_code.strip(), user.password)
        return UserInfo.model_validate(created, from_attributes=True)
