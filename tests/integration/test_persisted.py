"""Trusted documents: a frontend names the documents it was built with by hash, and with
--trusted-documents-only nobody but an admin runs any other document."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.access.trusted import ManifestError, TrustedDocuments
from tests.federation import Hub, bearer, create_key, national_admin, run_cli, start_hub
from tests.reference_clients import WsClient

ME = "query Me { me { role } }"
TRACK = "query Track($number: String!) {\n  trackReport(trackingNumber: $number) { status }\n}"
LOGIN = "mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _codegen_manifest(path: Path, *documents: str) -> Path:
    """persisted-documents.json as GraphQL Codegen's client preset writes it: sha256 hash -> document."""
    path.write_text(json.dumps({_sha256(d): d for d in documents}, indent=2))
    return path


@pytest.fixture(scope="module")
def hub(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data = tmp_path_factory.mktemp("persisted")
    manifest = _codegen_manifest(data / "persisted-documents.json", ME, TRACK, LOGIN)
    running = start_hub(module_database, data, "--trusted-documents", str(manifest), "--trusted-documents-only")
    try:
        yield running
    finally:
        running.process.stop()


async def _post(session: aiohttp.ClientSession, hub: Hub, body: dict[str, Any], headers: dict[str, str] | None = None,
                accept: str = GRAPHQL_RESPONSE) -> tuple[int, dict[str, Any]]:
    async with session.post(hub.graphql_url, json=body, headers={"accept": accept, **(headers or {})}) as response:
        return response.status, await response.json(content_type=None)


def _code(answer: dict[str, Any]) -> str:
    code: str = answer["errors"][0]["extensions"]["code"]
    return code


async def test_a_frontend_runs_its_documents_by_hash_in_every_request_form(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    track = _sha256(TRACK)
    variables = {"number": "LPR-NOSUCH01"}
    expected = {"data": {"trackReport": None}}
    # documentId as the GraphQL-over-HTTP persisted documents appendix has it, and as Codegen's clients send it
    assert await _post(session, hub, {"documentId": f"sha256:{track}", "variables": variables}) == (200, expected)
    assert await _post(session, hub, {"documentId": track, "variables": variables}) == (200, expected)
    # Apollo's persisted query extension
    apollo = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": track}}, "variables": variables}
    assert await _post(session, hub, apollo) == (200, expected)
    # GET, cacheable
    async with session.get(hub.graphql_url, params={"documentId": f"sha256:{track}",
                                                    "variables": json.dumps(variables)}) as response:
        assert response.status == 200 and await response.json() == expected
    # the document itself, word for word, is as trusted as its hash
    assert await _post(session, hub, {"query": ME}) == (200, {"data": {"me": {"role": "PUBLIC"}}})


async def test_only_trusted_documents_run_except_for_admins(hub: Hub, session: aiohttp.ClientSession) -> None:
    free_form = {"query": "{ me { role name } }"}
    status, answer = await _post(session, hub, free_form)
    assert status == 400 and _code(answer) == "QUERY_NOT_IN_SAFELIST" and "data" not in answer
    status, answer = await _post(session, hub, free_form, accept="application/json")
    assert status == 200 and _code(answer) == "QUERY_NOT_IN_SAFELIST"
    reformatted = {"query": ME.replace(" ", "  ")}  # a trusted document is its exact text
    assert _code((await _post(session, hub, reformatted))[1]) == "QUERY_NOT_IN_SAFELIST"

    supervisor = bearer(await create_key(hub.database_url, "supervisor", "64"))
    status, answer = await _post(session, hub, {"query": "{ nodes { code } }"}, supervisor)
    assert status == 400 and _code(answer) == "QUERY_NOT_IN_SAFELIST"
    status, answer = await _post(session, hub, {"query": "{ nodes { code } }"}, {"authorization": "Bearer smp_bad"})
    assert status == 401 and _code(answer) == "UNAUTHENTICATED"

    admin = await national_admin(hub.graphql_url)  # GraphiQL and operations keep free-form documents
    assert await _post(session, hub, {"query": "{ nodes { code } }"}, admin) == (200, {"data": {"nodes": []}})


async def test_an_unknown_or_false_hash_runs_nothing(hub: Hub, session: aiohttp.ClientSession) -> None:
    unknown = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
    status, answer = await _post(session, hub, unknown)
    assert (status, _code(answer)) == (404, "PERSISTED_QUERY_NOT_FOUND") and "data" not in answer
    status, answer = await _post(session, hub, unknown, accept="application/json")
    assert (status, _code(answer)) == (200, "PERSISTED_QUERY_NOT_FOUND")  # what Apollo's clients look for

    false = {"query": "{ nodes { code } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha256(ME)}}}
    status, answer = await _post(session, hub, false)
    assert status == 400 and "sha256" in answer["errors"][0]["message"]
    status, answer = await _post(session, hub, {"documentId": "md5:0cc175b9c0f1b6a831c399e269772661"})
    assert status == 400 and "sha256:<hex>" in answer["errors"][0]["message"]

    # a trusted mutation is still a mutation: not with GET
    async with session.get(hub.graphql_url, params={"documentId": f"sha256:{_sha256(LOGIN)}",
                                                    "variables": '{"u": "a", "p": "b"}'}) as response:
        assert response.status == 405 and response.headers["allow"] == "POST"


async def test_over_graphql_ws_the_same_documents_run_and_no_others(hub: Hub) -> None:
    # graphql-ws's client insists on a query string: an empty one stands for none.
    by_id = await WsClient.start(hub.graphql_url, {"query": "", "documentId": f"sha256:{_sha256(ME)}"})
    free_form = await WsClient.start(hub.graphql_url, {"query": "{ me { role name } }"})
    try:
        trusted, refused = await by_id.finished(), await free_form.finished()
    finally:
        await by_id.stop()
        await free_form.stop()
    assert {"next": {"data": {"me": {"role": "PUBLIC"}}}} in trusted
    [errors] = [line["errors"] for line in refused if "errors" in line]
    assert errors[0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"


def test_a_manifest_that_does_not_match_its_documents_stops_the_hub_at_start(tmp_path: Path) -> None:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({_sha256("query A { me { role } }"): ME}))
    result = run_cli("hub", "--trusted-documents", str(manifest), "--data-dir", str(tmp_path / "data"), timeout=30)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "does not match its documents" in result.stderr, result.stderr
    result = run_cli("hub", "--trusted-documents-only", "--data-dir", str(tmp_path / "data"), timeout=30)
    assert result.returncode == 1 and "needs --trusted-documents FILE" in result.stderr
    assert not (tmp_path / "data").exists()  # refused before any database was started


@pytest.mark.parametrize(("content", "message"), [
    (json.dumps({hashlib.sha1(ME.encode()).hexdigest(): ME}), "is not a sha256 hash"),
    (json.dumps({_sha256(ME): {"query": ME}}), "is not a GraphQL document"),
    (json.dumps([ME]), "is not a trusted documents manifest"),
    ("{", "cannot read trusted documents"),
])
def test_a_manifest_the_hub_cannot_serve_is_refused_with_what_is_wrong(
    tmp_path: Path, content: str, message: str
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(content)
    with pytest.raises(ManifestError, match=message) as refused:
        TrustedDocuments.load(manifest)
    assert str(manifest) in str(refused.value) and "\n" not in str(refused.value)


def test_apollo_persisted_query_manifests_load_too(tmp_path: Path) -> None:
    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": _sha256(ME), "name": "Me", "type": "query", "body": ME}]}))
    assert TrustedDocuments.load(manifest).documents == {_sha256(ME): ME}
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": _sha256(ME), "name": "Me", "type": "query", "body": TRACK}]}))
    with pytest.raises(ManifestError, match="does not match its documents"):
        TrustedDocuments.load(manifest)
