"""People and machines: the first admin from the command line, logins, sessions, keys shown once and revocable."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import asyncpg
import pytest
from graphql import GraphQLObjectType, get_named_type

from hub.access.policy import PUBLISHABLE_OPERATIONS
from hub.api.schema import hub_schema
from tests.federation import Hub, bearer, create_key, eventually, graphql, run_cli, start_hub

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt user { role } } }"
ME = "{ me { role name regionCode } }"


@pytest.fixture(scope="module")
def hub(module_hub: Hub) -> Hub:
    """One hub for the tests here: each makes its own users and keys."""
    return module_hub


def make_user(hub: Hub, username: str, role: str, region: str, password: str) -> None:
    result = run_cli("user", "create", "--username", username, "--name", f"Pengguna {username}", "--role", role,
                     "--region", region, "--password-stdin", "--database-url", hub.database_url,
                     input=password + "\n")
    assert result.returncode == 0, result.stderr


async def test_the_first_admin_is_made_on_the_command_line_and_logs_in(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    make_user(hub, "budi", "admin", "national", "rahasia negara 2026")
    body = await graphql(session, hub.graphql_url, LOGIN, {"u": "budi", "p": "rahasia negara 2026"}, headers={})
    session_token = body["data"]["login"]["token"]
    assert body["data"]["login"]["user"]["role"] == "ADMIN"
    me = await graphql(session, hub.graphql_url, ME, headers=bearer(session_token))
    assert me["data"]["me"] == {"role": "ADMIN", "name": "user budi", "regionCode": ""}

    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        stored = await conn.fetchval("SELECT password_hash FROM users WHERE username = 'budi'")
        assert stored.startswith("$argon2id$") and "rahasia" not in stored
        tokens = await conn.fetch("SELECT token_hash FROM sessions JOIN users ON users.id = sessions.user_id"
                                  " WHERE username = 'budi'")
        assert [bytes(t["token_hash"]) for t in tokens] != [session_token.encode()] and len(tokens) == 1
    finally:
        await conn.close()

    out = await graphql(session, hub.graphql_url, "mutation { logout }", headers=bearer(session_token))
    assert out["data"]["logout"] is True
    after = await graphql(session, hub.graphql_url, ME, headers=bearer(session_token))
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_wrong_password_and_an_unknown_user_get_the_same_refusal(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    make_user(hub, "siti", "supervisor", "64", "pengawasan kaltim 1")
    answers = []
    for username, password in (("siti", "salah sekali sandi"), ("tidakada", "pengawasan kaltim 1")):
        body = await graphql(session, hub.graphql_url, LOGIN, {"u": username, "p": password}, headers={})
        answers.append((body["data"], body["errors"][0]["message"], body["errors"][0]["extensions"]["code"]))
    assert answers[0] == answers[1] == (None, "wrong username or password", "FORBIDDEN")


async def test_a_short_password_and_a_missing_one_are_refused_on_the_command_line(hub: Hub) -> None:
    short = run_cli("user", "create", "--username", "ani", "--name", "Ani", "--role", "admin", "--region", "64",
                    "--password-stdin", "--database-url", hub.database_url, input="pendek\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    no_terminal = run_cli("user", "create", "--username", "ani", "--name", "Ani", "--role", "admin", "--region",
                          "64", "--database-url", hub.database_url, input="")
    assert no_terminal.returncode == 1 and "--password-stdin" in no_terminal.stderr


async def _session_expired(hub: Hub) -> bool:
    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        expired: bool = await conn.fetchval("SELECT bool_and(expires_at <= now()) FROM sessions")
        return expired
    finally:
        await conn.close()


async def test_an_expired_session_is_refused(database: str, tmp_path: Path, session: aiohttp.ClientSession) -> None:
    hub = start_hub(database, tmp_path, "--session-ttl", "1s")
    try:
        make_user(hub, "joko", "admin", "64", "kata sandi joko 64")
        body = await graphql(session, hub.graphql_url, LOGIN, {"u": "joko", "p": "kata sandi joko 64"}, headers={})
        token = body["data"]["login"]["token"]
        assert (await graphql(session, hub.graphql_url, ME, headers=bearer(token)))["data"]["me"]["role"] == "ADMIN"
        await eventually(lambda: _session_expired(hub))  # by PostgreSQL's clock, the one the hub checks against
        expired = await graphql(session, hub.graphql_url, ME, headers=bearer(token))
        assert expired["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "log in again" in expired["errors"][0]["message"]
    finally:
        hub.process.stop()


async def test_a_key_is_shown_once_stored_hashed_records_its_use_and_stops_when_revoked(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    created = run_cli("key", "create", "--role", "integrator", "--name", "Dashboard Kemenpan", "--region", "64",
                      "--operations", "reports,stats", "--database-url", hub.database_url)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("smp_") and "shown once" in created.stderr
    me = await graphql(session, hub.graphql_url, "{ me { role regionCode operations } }", headers=bearer(secret))
    assert me["data"]["me"] == {"role": "INTEGRATOR", "regionCode": "64", "operations": ["reports", "stats"]}

    listing = run_cli("key", "list", "--database-url", hub.database_url)
    assert listing.returncode == 0 and secret not in listing.stdout
    [line] = [row for row in listing.stdout.splitlines() if "Dashboard Kemenpan" in row]
    key_id = line.split("\t")[0]
    assert "last used never" not in line  # the request above was recorded
    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        assert await conn.fetchval("SELECT count(*) FROM api_keys WHERE key_hash = $1", secret.encode()) == 0
    finally:
        await conn.close()

    revoked = run_cli("key", "revoke", key_id, "--database-url", hub.database_url)
    assert revoked.returncode == 0, revoked.stderr
    refused = await graphql(session, hub.graphql_url, ME, headers=bearer(secret))
    assert refused["errors"][0]["message"] == "unknown or revoked API key"
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = run_cli("key", "revoke", key_id, "--database-url", hub.database_url)
    assert again.returncode == 1 and "was revoked at" in again.stderr


async def test_an_admin_issues_keys_and_users_only_inside_its_region(hub: Hub, session: aiohttp.ClientSession) -> None:
    kaltim = bearer(await create_key(hub.database_url, "admin", "64"))
    issue = "mutation($k: ApiKeyInput!) { issueApiKey(key: $k) { secret key { id role regionCode operations } } }"
    inside = await graphql(session, hub.graphql_url, issue, {"k": {"role": "INTEGRATOR", "name": "Portal Kutim",
                                                                   "regionCode": "64.08", "operations": ["stats"]}},
                           headers=kaltim)
    assert inside["data"]["issueApiKey"]["key"]["operations"] == ["stats"]
    outside = await graphql(session, hub.graphql_url, issue, {"k": {"role": "ADMIN", "name": "Bukan wewenang",
                                                                    "regionCode": "", "operations": None}},
                            headers=kaltim)
    assert outside["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad_ops = await graphql(session, hub.graphql_url, issue, {"k": {"role": "INTEGRATOR", "name": "Serakah",
                                                                    "regionCode": "64", "operations": ["createUser"]}},
                            headers=kaltim)
    assert "integrators may not be given createUser" in bad_ops["errors"][0]["message"]
    integrator = bearer(inside["data"]["issueApiKey"]["secret"])
    refused = await graphql(session, hub.graphql_url, "{ reports { coverage { asked } } }", headers=integrator)
    assert "not allowed reports" in refused["errors"][0]["message"]


async def test_a_key_published_in_a_page_reads_counts_only(hub: Hub, session: aiohttp.ClientSession) -> None:
    kaltim = bearer(await create_key(hub.database_url, "admin", "64"))
    issue = "mutation($k: ApiKeyInput!) { issueApiKey(key: $k) { secret key { role operations published } } }"
    portal = {"role": "INTEGRATOR", "name": "Portal Kaltim", "regionCode": "64", "published": True}
    issued = await graphql(session, hub.graphql_url, issue, {"k": {**portal, "operations": ["stats", "compliance"]}},
                           headers=kaltim)
    assert issued["data"]["issueApiKey"]["key"] == {"role": "INTEGRATOR", "operations": ["compliance", "stats"],
                                                    "published": True}, issued
    reports = await graphql(session, hub.graphql_url, issue, {"k": {**portal, "operations": ["stats", "reports"]}},
                            headers=kaltim)
    assert "a published key reads counts only; it may not be given reports" in reports["errors"][0]["message"]
    supervisor = await graphql(session, hub.graphql_url, issue,
                               {"k": {**portal, "role": "SUPERVISOR", "operations": None}}, headers=kaltim)
    assert "only integrator keys may be published" in supervisor["errors"][0]["message"], supervisor

    cli = run_cli("key", "create", "--role", "integrator", "--region", "64", "--operations", "stats,events",
                  "--published", "--name", "Portal", "--database-url", hub.database_url)
    assert cli.returncode == 1 and "may not be given events" in cli.stderr, cli.stderr
    cli = run_cli("key", "create", "--role", "integrator", "--region", "64", "--operations", "stats",
                  "--published", "--name", "Portal Kaltim", "--database-url", hub.database_url)
    assert cli.returncode == 0 and ", published for Portal Kaltim" in cli.stderr, cli.stderr
    listed = run_cli("key", "list", "--database-url", hub.database_url)
    assert any(line.endswith("stats (published)\tPortal Kaltim") for line in listed.stdout.splitlines()), listed.stdout


def test_what_a_published_key_may_read_reaches_no_report_event_or_person() -> None:
    """Walk the schema from each operation a published key may be given: no report, tracking number, event,
    reporter or officer who entered something is reachable (a new field that reaches one fails here before a
    portal publishes it)."""
    schema = hub_schema()._schema
    query = schema.query_type
    assert query is not None and PUBLISHABLE_OPERATIONS <= set(query.fields)
    for operation in PUBLISHABLE_OPERATIONS:
        reached: set[str] = set()
        todo = [get_named_type(query.fields[operation].type)]
        while todo:
            named = todo.pop()
            if named.name in reached or not isinstance(named, GraphQLObjectType):
                continue
            reached.add(named.name)
            assert not {"trackingNumber", "reporter", "timeline"} & set(named.fields), (operation, named.name)
            assert not [f for f in named.fields if f.endswith("By")], (operation, named.name)  # who entered it
            todo += [get_named_type(field.type) for field in named.fields.values()]
        assert not {"Report", "TrackedReport", "TimelineEvent", "Reporter", "Event"} & reached, (operation, reached)


CHANGE = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }"


async def _login(session: aiohttp.ClientSession, hub: Hub, username: str, password: str) -> dict[str, object]:
    return await graphql(session, hub.graphql_url, LOGIN, {"u": username, "p": password}, headers={})


async def test_a_person_changes_their_password_and_their_other_sessions_end(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    make_user(hub, "sari", "supervisor", "64", "sandi lama yang panjang")
    here, elsewhere = [bearer((await _login(session, hub, "sari", "sandi lama yang panjang"))["data"]["login"]["token"])
                       for _ in range(2)]
    wrong = await graphql(session, hub.graphql_url, CHANGE, {"c": "bukan sandinya", "n": "sandi baru yang panjang"},
                          headers=here)
    assert wrong["errors"][0]["extensions"]["code"] == "FORBIDDEN", wrong
    assert wrong["errors"][0]["message"] == "the current password is wrong"
    short = await graphql(session, hub.graphql_url, CHANGE, {"c": "sandi lama yang panjang", "n": "pendek"},
                          headers=here)
    assert "at least 12 characters" in short["errors"][0]["message"], short

    changed = await graphql(session, hub.graphql_url, CHANGE,
                            {"c": "sandi lama yang panjang", "n": "sandi baru yang panjang"}, headers=here)
    assert changed == {"data": {"changePassword": 1}}, changed
    assert (await graphql(session, hub.graphql_url, ME, headers=here))["data"]["me"]["role"] == "SUPERVISOR"
    ended = await graphql(session, hub.graphql_url, ME, headers=elsewhere)
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", ended
    assert "errors" in await _login(session, hub, "sari", "sandi lama yang panjang")
    assert "errors" not in await _login(session, hub, "sari", "sandi baru yang panjang")

    key = bearer(await create_key(hub.database_url, "admin", "64"))
    by_key = await graphql(session, hub.graphql_url, CHANGE, {"c": "x" * 12, "n": "y" * 12}, headers=key)
    assert by_key["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "an API key has no password" in by_key["errors"][0]["message"]

    conn = await asyncpg.connect(hub.database_url)
    try:
        actions = [(r["action"], r["detail"]) for r in await conn.fetch(
            "SELECT action, detail::text FROM hub.audit_log WHERE target = 'user sari' AND action LIKE 'PASSWORD%'"
            " ORDER BY id")]
    finally:
        await conn.close()
    assert actions == [("PASSWORD_CHANGE_FAILED", None), ("PASSWORD_CHANGED", '{"sessionsEnded": 1}')], actions
    assert not any("sandi" in (detail or "") for _, detail in actions)


async def test_an_admin_sets_a_forgotten_password_on_the_command_line_and_every_session_ends(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    make_user(hub, "rudi", "admin", "64", "sandi yang terlupa 1")
    token = bearer((await _login(session, hub, "rudi", "sandi yang terlupa 1"))["data"]["login"]["token"])
    reset = run_cli("user", "password", "--username", "Rudi", "--password-stdin", "--database-url",
                    hub.database_url, input="sandi pengganti 2027\n")
    assert reset.returncode == 0 and "password of rudi set; their sessions ended" in reset.stderr, reset.stderr
    ended = await graphql(session, hub.graphql_url, ME, headers=token)
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", ended
    assert "errors" not in await _login(session, hub, "rudi", "sandi pengganti 2027")

    for username, password, message in [("nobody", "sandi pengganti 2027", "no user 'nobody'"),
                                         ("rudi", "pendek", "at least 12 characters")]:
        refused = run_cli("user", "password", "--username", username, "--password-stdin", "--database-url",
                          hub.database_url, input=password + "\n")
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
    assert "errors" not in await _login(session, hub, "rudi", "sandi pengganti 2027"), "a refusal changed nothing"
