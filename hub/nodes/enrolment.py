"""One-time enrolment tokens and the enrolment that trades one, with the node's public key, for the hub's."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from hub.access.keys import digest
from hub.access.principal import Principal, node_principal
from hub.audit import record
from hub.nodes.registry import NodeRecord
from hub.regions import check_node_region
from simpul.endpoints import UrlPolicy
from simpul.errors import InvalidInput
from simpul.signing import parse_public_key
from simpul.wire import TOKEN_ALREADY_USED, NodeIdentity, NodeLevel, check_node_code, check_region_code, in_region

MAX_NAME = 200  # as the nodes table allows
MAX_CATEGORY = 100  # as routing rules allow


class EnrolmentRefused(Exception):
    """The token is unknown, used, expired, or does not cover the node."""

    status = 403


class RekeyRefused(EnrolmentRefused):
    """The node has no HMAC key left to prove itself with: it already has a key pair."""

    status = 409


class TokenAlreadyUsed(EnrolmentRefused):
    """A conflict rather than a refusal: the token did its one job already (perhaps for this very node)."""

    status = TOKEN_ALREADY_USED


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its digest is stored
    region_code: str
    expires_at: datetime
    node_code: str | None = None  # the enrolled node whose key pair it renews; None: enrols a new node
    categories: tuple[str, ...] = ()  # what the node may claim authority over
    level: NodeLevel | None = None  # the level the node must have; None: any its region allows


def check_categories(categories: Sequence[str]) -> tuple[str, ...]:
    """Categories trimmed, each once, in the order given; InvalidInput for an empty, long or NUL one."""
    checked: list[str] = []
    for category in categories:
        category = category.strip()
        if not category or len(category) > MAX_CATEGORY or "\x00" in category:
            raise InvalidInput(f"a category is 1 to {MAX_CATEGORY} characters without NUL: {category!r}")
        if category not in checked:
            checked.append(category)
    return tuple(checked)


async def create_token(
    conn: asyncpg.Connection, issuer: Principal, region_code: str | None, ttl: timedelta, note: str | None,
    node_code: str | None = None, categories: Sequence[str] | None = None, level: NodeLevel | None = None,
) -> IssuedToken:
    """Issue a token that enrols one node in the subtree of `region_code`, or, with `node_code` instead, one
    that renews that enrolled node's key pair (its region is the node's). The token grants `categories` (none by
    default; a renewal: the node's own) and binds `level` when given: the node cannot claim more."""
    if ttl <= timedelta(0):
        raise InvalidInput("token lifetime must be positive")
    granted = check_categories(categories) if categories is not None else None
    token = "enr_" + secrets.token_urlsafe(24)
    async with conn.transaction():
        replaced = 0
        if node_code is not None:
            if region_code is not None:
                raise InvalidInput("a token enrols a node in a region or renews an enrolled node, not both")
            node = await conn.fetchrow("SELECT region_code, level, categories FROM nodes WHERE code = $1 FOR UPDATE",
                                       check_node_code(node_code))
            if node is None:
                raise InvalidInput(f"node {node_code} is not enrolled; a token without a node enrols it")
            region_code = node["region_code"]
            if level is not None and level.value != node["level"]:
                raise InvalidInput(f"node {node_code} is enrolled as {node['level']}; a renewal keeps its level")
            level = NodeLevel(node["level"])
            granted = tuple(node["categories"]) if granted is None else granted
            replaced = await withdraw_renewal_tokens(conn, node_code)  # one open renewal token per node
        elif region_code is None:
            raise InvalidInput("a token needs the region it enrols a node in, or the node whose key pair it renews")
        check_region_code(region_code)
        issuer.require(region_code, "issue enrolment tokens")
        granted = granted or ()
        expires_at = await conn.fetchval(
            "INSERT INTO enrolment_tokens (token_hash, region_code, note, expires_at, node_code, categories, level)"
            " VALUES ($1, $2, $3, now() + $4, $5, $6, $7) RETURNING expires_at",
            digest(token), region_code, note, ttl, node_code, list(granted), level.value if level else None,
        )
        target = f"node {node_code}" if node_code else f"region {region_code}"
        await record(conn, issuer, "ENROLMENT_TOKEN_CREATED", target, region_code,
                     {"note": note, "expiresAt": expires_at.isoformat(), "renews": node_code,
                      "replacedTokens": replaced, "categories": list(granted),
                      "level": level.value if level else None})
    return IssuedToken(token=token, region_code=region_code, expires_at=expires_at, node_code=node_code,
                       categories=granted, level=level)


TOKEN_ID_LENGTH = 12  # hex digits of a token's digest that name it in lists: no secret, unique in practice


@dataclass(frozen=True)
class TokenInfo:
    """An issued token as lists show it: named by the start of its digest, never by the token."""

    id: str
    region_code: str
    node_code: str | None
    note: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    withdrawn_at: datetime | None
    categories: tuple[str, ...] = ()
    level: str | None = None

    @property
    def state(self) -> str:
        if self.used_at is not None:
            return f"used by {self.used_by}"
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "expired" if self.expires_at <= datetime.now(UTC) else "open"

    @classmethod
    def of(cls, row: asyncpg.Record) -> TokenInfo:
        return cls(id=bytes(row["token_hash"]).hex()[:TOKEN_ID_LENGTH], region_code=row["region_code"],
                   node_code=row["node_code"], note=row["note"], created_at=row["created_at"],
                   expires_at=row["expires_at"], used_at=row["used_at"], used_by=row["used_by"],
                   withdrawn_at=row["withdrawn_at"], categories=tuple(row["categories"]), level=row["level"])


_TOKENS = ("SELECT token_hash, region_code, node_code, note, created_at, expires_at, used_at, used_by, withdrawn_at,"
           " categories, level FROM enrolment_tokens")


async def list_tokens(conn: asyncpg.Connection, reader: Principal, open_only: bool) -> list[TokenInfo]:
    """The tokens in the reader's subtree, newest first; with `open_only`, those a node could still use."""
    rows = await conn.fetch(_TOKENS + " ORDER BY created_at DESC, token_hash")
    tokens = [TokenInfo.of(r) for r in rows if reader.covers(r["region_code"])]
    return [t for t in tokens if t.state == "open"] if open_only else tokens


async def withdraw_token(conn: asyncpg.Connection, issuer: Principal, token_id: str) -> TokenInfo:
    """Withdraw an unused token named by its id (or a longer start of its digest): no node can use it after."""
    wanted = token_id.strip().lower()
    if not re.fullmatch(f"[0-9a-f]{{{TOKEN_ID_LENGTH},64}}", wanted):
        raise InvalidInput(f"a token id is {TOKEN_ID_LENGTH} to 64 hex digits, as `simpul token list` shows")
    async with conn.transaction():
        rows = await conn.fetch(_TOKENS + " WHERE encode(token_hash, 'hex') LIKE $1 || '%' FOR UPDATE", wanted)
        if not rows:
            raise InvalidInput(f"no enrolment token {wanted}")
        if len(rows) > 1:
            raise InvalidInput(f"{len(rows)} tokens start with {wanted}; give more digits")
        token = TokenInfo.of(rows[0])
        issuer.require(token.region_code, "withdraw enrolment tokens")
        if token.state != "open":
            raise InvalidInput(f"token {token.id} is {token.state}: only an open token can be withdrawn")
        token = TokenInfo.of(await conn.fetchrow(
            "UPDATE enrolment_tokens SET withdrawn_at = now() WHERE token_hash = $1 RETURNING *",
            rows[0]["token_hash"]))
        target = f"node {token.node_code}" if token.node_code else f"region {token.region_code}"
        await record(conn, issuer, "ENROLMENT_TOKEN_WITHDRAWN", target, token.region_code,
                     {"token": token.id, "note": token.note})
    return token


@dataclass(frozen=True, kw_only=True)
class EnrolmentRequest(NodeIdentity):
    """A node asking to join: who it is, the token it was given, where it answers, its public key."""

    token: str
    endpoint: str
    public_key: bytes  # the node's Ed25519 public key; its private key never leaves the node

    @classmethod
    def from_json(cls, data: Any, endpoints: UrlPolicy) -> EnrolmentRequest:
        """Validate a node's enrolment body, its endpoint by `endpoints`; raise InvalidInput naming the bad
        field."""
        if not isinstance(data, dict):
            raise InvalidInput("enrolment body must be a JSON object")

        def text(field: str, optional: bool = False) -> str | None:
            value = data.get(field)
            if value is None and optional:
                return None
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{field} is required and must be a non-empty string")
            if "\x00" in value:
                raise InvalidInput(f"{field} must not contain NUL characters")
            return value.strip()

        try:
            level = NodeLevel(str(data.get("level")))
        except ValueError:
            raise InvalidInput(f"level must be one of {', '.join(NodeLevel)}") from None
        categories = data.get("categories") or []
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise InvalidInput("categories must be a list of strings")
        if any("\x00" in c for c in categories):
            raise InvalidInput("categories must not contain NUL characters")
        name = text("name") or ""
        if len(name) > MAX_NAME:
            raise InvalidInput(f"name must be at most {MAX_NAME} characters")
        endpoint = endpoints.check(text("endpoint") or "")
        region = data.get("region_code")
        if not isinstance(region, str):
            raise InvalidInput("region_code is required")
        parent = text("parent_code", optional=True)
        try:
            public_key = parse_public_key(data.get("public_key"))
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        return cls(
            token=text("token") or "",
            code=check_node_code(text("code") or ""),
            name=name,
            level=level,
            region_code=check_node_region(level, region),
            parent_code=check_node_code(parent) if parent else None,
            categories=tuple(c.strip() for c in categories if c.strip()),
            kind=text("kind") or "",
            endpoint=endpoint,
            public_key=public_key,
        )


async def enrol(pool: asyncpg.Pool, request: EnrolmentRequest) -> None:
    """Register the node with its public key, or renew an enrolled node's key pair with a token made for it, and
    spend the token, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        token = await conn.fetchrow(
            "SELECT region_code, node_code, categories, level, expires_at < now() AS expired,"
            " used_at IS NOT NULL AS used, withdrawn_at IS NOT NULL AS withdrawn"
            " FROM enrolment_tokens WHERE token_hash = $1 FOR UPDATE",
            digest(request.token),
        )
        if token is None:
            raise EnrolmentRefused("enrolment token is not known")
        if token["used"]:
            raise TokenAlreadyUsed("enrolment token was already used")
        if token["withdrawn"]:
            raise EnrolmentRefused("enrolment token was withdrawn")
        if token["expired"]:
            raise EnrolmentRefused("enrolment token has expired")
        if token["node_code"] is not None:
            return await _renew(conn, request, token)
        if not in_region(request.region_code, token["region_code"]):
            raise EnrolmentRefused(
                f"token for region {token['region_code']} cannot enrol a node in "
                f"{request.region_code or 'the national level'}"
            )
        _check_grants(request, token)
        if await conn.fetchval("SELECT 1 FROM nodes WHERE code = $1", request.code):
            raise _already_enrolled(request.code)
        if request.parent_code is not None:
            parent_region = await conn.fetchval(
                "SELECT region_code FROM nodes WHERE code = $1", request.parent_code
            )
            if parent_region is None:
                raise EnrolmentRefused(f"parent node {request.parent_code} is not enrolled")
            if not (parent_region == "" or in_region(request.region_code, parent_region)):
                raise EnrolmentRefused(
                    f"node in {request.region_code} cannot sit under parent in {parent_region}"
                )
        try:
            await conn.execute(
                "INSERT INTO nodes (code, name, level, region_code, parent_code, categories,"
                " endpoint, kind, public_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                request.code, request.name, request.level.value, request.region_code,
                request.parent_code, list(request.categories), request.endpoint, request.kind,
                request.public_key,
            )
        except asyncpg.UniqueViolationError:  # enrolled meanwhile with another token
            raise _already_enrolled(request.code) from None
        await _spend(conn, request)
        await record(conn, node_principal(request.code, request.region_code), "NODE_ENROLLED",
                     f"node {request.code}", request.region_code,
                     {"name": request.name, "level": request.level.value, "kind": request.kind,
                      "endpoint": request.endpoint, "parent": request.parent_code,
                      "categories": list(request.categories)})


def _check_grants(request: EnrolmentRequest, token: asyncpg.Record) -> None:
    """Refuse what the node claims beyond its token: the admin who made the token decides its authority."""
    categories, level = tuple(token["categories"]), token["level"]
    if level is not None and request.level.value != level:
        raise EnrolmentRefused(f"enrolment token is for a {level} node, not {request.level.value}")
    beyond = [c for c in request.categories if c not in categories]
    if beyond:
        raise EnrolmentRefused(f"enrolment token does not grant categor{'ies' if len(beyond) > 1 else 'y'} "
                               f"{', '.join(beyond)} (it grants {', '.join(categories) or 'none'})")


def _already_enrolled(code: str) -> EnrolmentRefused:
    return EnrolmentRefused(f"node {code} is already enrolled; a token created for it "
                            f"(simpul token create --node {code}) renews its key pair")


async def _renew(conn: asyncpg.Connection, request: EnrolmentRequest, token: asyncpg.Record) -> None:
    """The new public key of the enrolled node the token was made for; the old key pair (or a v1 node's HMAC key)
    stops working at once. The node
    keeps its place (level, region, parent); its name, categories, kind and endpoint are taken as sent, and
    a suspended node is active again: the token is the admin's decision to let it back. Categories beyond the
    token's grant are refused: a renewal may drop a category, adding one takes a token that grants it."""
    node_code = token["node_code"]
    if request.code != node_code:
        raise EnrolmentRefused(f"this token renews node {node_code}, not {request.code}")
    node = await conn.fetchrow("SELECT level, region_code, parent_code, status, categories FROM nodes"
                               " WHERE code = $1 FOR UPDATE", node_code)
    place = (node["level"], node["region_code"], node["parent_code"])
    if (request.level.value, request.region_code, request.parent_code) != place:
        raise EnrolmentRefused(f"node {node_code} is enrolled as {place[0]} in region {place[1] or 'national'}"
                               f" under {place[2] or 'no parent'}; a renewal keeps its place")
    _check_grants(request, token)
    await conn.execute(
        "UPDATE nodes SET name = $2, categories = $3, endpoint = $4, kind = $5, public_key = $6, signing_key = NULL,"
        " status = 'ACTIVE' WHERE code = $1",
        node_code, request.name, list(request.categories), request.endpoint, request.kind, request.public_key)
    await _spend(conn, request)
    await record(conn, node_principal(node_code, request.region_code), "NODE_SECRET_RENEWED",
                 f"node {node_code}", request.region_code,
                 {"statusBefore": node["status"], "name": request.name, "categories": list(request.categories),
                  "categoriesBefore": list(node["categories"]),
                  "kind": request.kind, "endpoint": request.endpoint})


async def rekey(pool: asyncpg.Pool, node: NodeRecord, public_key: bytes) -> None:
    """Store the public key a node enrolled before key pairs sent, signed with its HMAC key. Until the node signs
    with the new key (which drops the HMAC key) it may send it again: an answer lost on the way costs nothing."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT public_key, signing_key IS NOT NULL AS has_hmac_key FROM nodes"
                                  " WHERE code = $1 FOR UPDATE", node.code)
        if row is None or not row["has_hmac_key"]:
            raise RekeyRefused(f"node {node.code} already signs with its key pair; a renewal token "
                               f"(simpul token create --node {node.code}) replaces it")
        if row["public_key"] is not None and bytes(row["public_key"]) == public_key:
            return  # sent again: its answer was lost
        await conn.execute("UPDATE nodes SET public_key = $2 WHERE code = $1", node.code, public_key)
        await record(conn, node_principal(node.code, node.region_code), "NODE_REKEYED", f"node {node.code}",
                     node.region_code, {"publicKey": public_key.hex()})


async def _spend(conn: asyncpg.Connection, request: EnrolmentRequest) -> None:
    await conn.execute("UPDATE enrolment_tokens SET used_at = now(), used_by = $2 WHERE token_hash = $1",
                       digest(request.token), request.code)


async def withdraw_renewal_tokens(conn: asyncpg.Connection, node_code: str) -> int:
    """Withdraw the node's open renewal tokens (it is being suspended, or gets a newer one); how many."""
    withdrawn = await conn.fetch("UPDATE enrolment_tokens SET withdrawn_at = now() WHERE node_code = $1"
                                 " AND used_at IS NULL AND withdrawn_at IS NULL AND expires_at > now() RETURNING 1",
                                 node_code)
    return len(withdrawn)
