"""deploy/kubernetes/: every object valid for its API, both database variants whole and consistent with
the image, the hub's CLI and the hub's routes; a broken manifest is caught."""

from __future__ import annotations

import copy
import functools
import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import jsonschema
import kubernetes_validate
import pytest
import yaml

from simpul.processes import ChildProcess
from tests.deploy.files import (
    KUBERNETES,
    LIVENESS,
    METRICS,
    PORT,
    PYTHON_ENV,
    READINESS,
    environment_names_read,
    kubernetes_objects,
    load_yaml_documents,
    one,
    project_version,
    simpul_args,
    simpul_usage_error,
)

KUBERNETES_VERSION = "1.33"  # the oldest Kubernetes the manifests are written for
CNPG_CRD = Path(__file__).parent / "schemas" / "postgresql.cnpg.io_clusters.yaml"
CNPG_APP_SECRET_KEYS = {"username", "user", "password", "dbname", "host", "port", "pgpass", "uri", "jdbc-uri",
                        "fqdn-uri", "fqdn-jdbc-uri"}  # pkg/specs/secrets.go of CloudNativePG 1.30.0
VARIANTS = ("cloudnativepg", "external-db")
IMAGE_REPOSITORY = "registry.example.org/simpul/simpul"


# -- schemas -----------------------------------------------------------------------------------------------


def _no_unknown_fields(schema: Any) -> Any:
    """The CRD schema as the API server applies it with strict field validation (kubectl's default):
    an object with listed properties refuses any other, unless it preserves unknown fields."""
    if isinstance(schema, dict):
        schema = {k: _no_unknown_fields(v) for k, v in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_no_unknown_fields(item) for item in schema]
    return schema


@functools.cache
def _cluster_validator() -> jsonschema.Draft4Validator:
    with CNPG_CRD.open(encoding="utf-8") as f:
        crd = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema = _no_unknown_fields(version["schema"]["openAPIV3Schema"])
    # metadata is the API server's ObjectMeta, not the CRD's to describe; the kind and group are the CRD's.
    schema["properties"]["metadata"] = {"type": "object"}
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    schema["properties"]["apiVersion"] = {"enum": [f"{crd['spec']['group']}/v1"]}
    schema["properties"]["kind"] = {"enum": [crd["spec"]["names"]["kind"]]}
    return jsonschema.Draft4Validator(schema)  # OpenAPI v3.0 schemas are JSON Schema draft 4 in substance


def schema_problems(obj: dict[str, Any]) -> list[str]:
    """Why the API server would refuse `obj`: Kubernetes' own schemas, or CloudNativePG's CRD for a Cluster."""
    where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    if obj.get("apiVersion", "").startswith("postgresql.cnpg.io/"):
        return [f"{where}: {e.message} at {e.json_path}" for e in _cluster_validator().iter_errors(obj)]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{where}: {exc.message} at {exc.json_path}"]
    return []


# -- consistency -------------------------------------------------------------------------------------------


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    pod = deployment["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def _port_number(container: dict[str, Any], port: int | str) -> int | None:
    if isinstance(port, int):
        return port
    return next((p["containerPort"] for p in container.get("ports", []) if p.get("name") == port), None)


def _secret_keys(objects: list[dict[str, Any]], name: str) -> set[str]:
    """Keys of the Secret `name` once these objects are applied: written by hand, or by CloudNativePG."""
    for o in objects:
        if o["kind"] == "Secret" and o["metadata"]["name"] == name:
            return set(o.get("stringData", {})) | set(o.get("data", {}))
        if o["kind"] == "Cluster" and o["metadata"]["name"] + "-app" == name:
            return CNPG_APP_SECRET_KEYS
    return set()


def consistency_problems(objects: list[dict[str, Any]]) -> list[str]:
    """What would break between these objects once applied together, or against the hub itself."""
    problems: list[str] = []
    namespace = one(objects, "Namespace")["metadata"]["name"]
    deployment, service = one(objects, "Deployment"), one(objects, "Service")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    hub = next(c for c in pod["spec"]["containers"] if c["name"] == "hub")

    for o in objects:
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != namespace:
            problems.append(f"{o['kind']}/{o['metadata']['name']} is not in namespace {namespace}")
    for container in _containers(deployment):
        name = container["name"]
        if container["image"] != f"{IMAGE_REPOSITORY}:{project_version()}":
            problems.append(f"container {name} runs {container['image']}, not this version's image")
        error = simpul_usage_error(container.get("args", []))
        if error:
            problems.append(f"container {name}: `simpul {' '.join(container.get('args', []))}`: {error}")
        for env in container.get("env", []):
            if env["name"] not in environment_names_read() | PYTHON_ENV:
                problems.append(f"container {name} sets {env['name']}, which nothing reads")
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["key"] not in _secret_keys(objects, ref["name"]):
                problems.append(f"container {name} reads key {ref['key']} of Secret {ref['name']}, which no "
                                "object here provides")
        security = {**pod["spec"].get("securityContext", {}), **container.get("securityContext", {})}
        if not security.get("runAsNonRoot") or security.get("runAsUser", 0) == 0:
            problems.append(f"container {name} may run as root")
        if not security.get("readOnlyRootFilesystem") or security.get("allowPrivilegeEscalation", True):
            problems.append(f"container {name} has a writable root or may escalate privileges")
        # The namespace enforces the restricted Pod Security Standard: a pod short of it is never created.
        if (security.get("capabilities", {}).get("drop") != ["ALL"]
                or security.get("seccompProfile", {}).get("type") != "RuntimeDefault"):
            problems.append(f"container {name} falls short of the restricted Pod Security Standard")

    listens = simpul_args(hub["args"]) if not simpul_usage_error(hub["args"]) else None
    if _port_number(hub, "http") != PORT or not listens or (listens.host, listens.port) != ("0.0.0.0", PORT):
        problems.append(f"the hub container does not listen on its port {PORT} on every address")
    for probe, path in (("livenessProbe", LIVENESS), ("readinessProbe", READINESS), ("startupProbe", LIVENESS)):
        get = hub.get(probe, {}).get("httpGet", {})
        if get.get("path") != path or _port_number(hub, get.get("port", 0)) != PORT:
            problems.append(f"{probe} is not GET {path} on port {PORT}")
    scrape = pod["metadata"].get("annotations", {})
    if (scrape.get("prometheus.io/scrape"), scrape.get("prometheus.io/path"), scrape.get("prometheus.io/port")) != (
            "true", METRICS, str(PORT)):
        problems.append(f"pods are not annotated for Prometheus to scrape {METRICS} on {PORT}")

    if any(labels.get(k) != v for k, v in service["spec"]["selector"].items()):
        problems.append("the Service selects no hub pod")
    for port in service["spec"]["ports"]:
        if _port_number(hub, port["targetPort"]) != PORT:
            problems.append(f"the Service sends port {port['port']} to {port['targetPort']}, not the hub's {PORT}")
    for rule in one(objects, "Ingress")["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            if backend["name"] != service["metadata"]["name"] or backend["port"].get("name") not in {
                    p.get("name") for p in service["spec"]["ports"]}:
                problems.append(f"Ingress path {path['path']} goes to no port of the Service")
            if path["path"] in (LIVENESS, READINESS, METRICS):
                problems.append(f"Ingress exposes {path['path']} to the internet")
    problems += _trust_problems(objects, hub, labels)
    problems += _role_problems(objects, deployment)
    budget, scaler = one(objects, "PodDisruptionBudget"), one(objects, "HorizontalPodAutoscaler")
    if any(labels.get(k) != v for k, v in budget["spec"]["selector"]["matchLabels"].items()):
        problems.append("the PodDisruptionBudget covers no hub pod")
    if scaler["spec"]["scaleTargetRef"]["name"] != deployment["metadata"]["name"]:
        problems.append("the HorizontalPodAutoscaler scales something else")
    if not deployment["spec"]["replicas"] >= 3 <= scaler["spec"]["minReplicas"]:
        problems.append("fewer than 3 hub replicas")
    return problems


def _database_url(objects: list[dict[str, Any]], container: dict[str, Any]) -> tuple[str, str | None]:
    """The Secret a container's DATABASE_URL comes from, and the user of the URL written in it (if written)."""
    ref = next(e["valueFrom"]["secretKeyRef"] for e in container.get("env", []) if e["name"] == "DATABASE_URL")
    written = [o.get("stringData", {}).get(ref["key"]) for o in objects
               if o["kind"] == "Secret" and o["metadata"]["name"] == ref["name"]]
    return ref["name"], urlsplit(written[0]).username if written and written[0] else None


def _role_problems(objects: list[dict[str, Any]], deployment: dict[str, Any]) -> list[str]:
    """The hub must not run as the owner of its schema, who could disable the audit log's append-only trigger."""
    containers = {c["name"]: c for c in _containers(deployment)}
    migrate, hub = containers.get("migrate"), containers["hub"]
    if migrate is None or simpul_usage_error(migrate.get("args", [])):
        return ["no init container migrates the hub's schema"]
    runtime_role = simpul_args(migrate["args"]).runtime_role
    (owner_secret, _), (hub_secret, hub_user) = _database_url(objects, migrate), _database_url(objects, hub)
    if not runtime_role:
        return ["the migrate container grants no --runtime-role: the hub would run as the owner of its tables"]
    if hub_secret == owner_secret:
        return ["the hub connects with the owner's DATABASE_URL, not its runtime role's"]
    if hub_user is not None and hub_user != runtime_role:
        return [f"the hub connects as {hub_user}, not as the runtime role {runtime_role} the migration grants"]
    return []


def _trust_problems(objects: list[dict[str, Any]], hub: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """Who may reach the hub's port and name a client address (X-Forwarded-For) to its rate limits."""
    problems = []
    trusted = next((e.get("value", "") for e in hub.get("env", []) if e["name"] == "FORWARDED_ALLOW_IPS"), None)
    if trusted is not None:
        try:
            networks = [ipaddress.ip_network(part.strip()) for part in trusted.split(",")]
        except ValueError:
            networks = []
        if not networks or any(n.prefixlen == 0 for n in networks):
            problems.append(f"FORWARDED_ALLOW_IPS={trusted!r} trusts any peer's X-Forwarded-For, not the ingress's")
    guarding = [o for o in objects if o["kind"] == "NetworkPolicy"
                and all(labels.get(k) == v for k, v in o["spec"]["podSelector"].get("matchLabels", {}).items())
                and "Ingress" in o["spec"].get("policyTypes", [])]
    if not guarding:
        problems.append("no NetworkPolicy selects the hub pods: any pod in the cluster reaches them")
    for policy in guarding:
        for rule in policy["spec"].get("ingress", []):
            if not rule.get("from") or any("namespaceSelector" not in peer or not peer["namespaceSelector"]
                                           for peer in rule["from"]):
                problems.append(f"NetworkPolicy/{policy['metadata']['name']} lets in pods of any namespace")
    return problems


# -- the files as they are ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(KUBERNETES.rglob("*.yaml")), ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_every_object_is_valid_for_its_api(path: Path) -> None:
    objects = load_yaml_documents(path)
    assert objects
    assert [p for o in objects for p in schema_problems(o)] == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_database_variant_is_whole_and_consistent(variant: str) -> None:
    assert consistency_problems(kubernetes_objects("hub", variant)) == []


def _secret(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == name)
    return found


def test_the_external_database_secret_is_a_template_for_the_same_database_cloudnativepg_creates() -> None:
    secret = _secret(kubernetes_objects("external-db"), "simpul-db-app")
    cluster = one(kubernetes_objects("cloudnativepg"), "Cluster")
    url = urlsplit(secret["stringData"]["uri"])
    assert url.password == "CHANGE-ME", "a template, never a real password"
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    assert (url.username, url.path) == (initdb["owner"], "/" + initdb["database"])


def test_the_external_database_is_verified_against_a_ca_every_container_mounts() -> None:
    objects = kubernetes_objects("hub", "external-db")
    urls = [urlsplit(_secret(objects, name)["stringData"]["uri"]) for name in ("simpul-db-app", "simpul-db-hub")]
    assert all(parse_qs(url.query).get("sslmode") == ["verify-full"] for url in urls), "certificate and name checked"
    [ca] = {parse_qs(url.query)["sslrootcert"][0] for url in urls}
    deployment = one(objects, "Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"].get("volumes", [])}
    for container in _containers(deployment):
        mounts = [m for m in container.get("volumeMounts", []) if ca.startswith(m["mountPath"].rstrip("/") + "/")]
        assert mounts, f"container {container['name']} does not mount {ca}"
        assert volumes[mounts[0]["name"]]["secret"]["secretName"] == "simpul-db-ca"


# -- a broken manifest is caught ---------------------------------------------------------------------------


def _hub_objects() -> list[dict[str, Any]]:
    return copy.deepcopy(kubernetes_objects("hub", "cloudnativepg"))


def _hub_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return container


def _migrate_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    found: dict[str, Any] = next(c for c in pod["initContainers"] if c["name"] == "migrate")
    return found


def _env(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in _hub_container(objects)["env"] if e["name"] == name)
    return found


def test_a_misspelt_or_mistyped_field_is_refused() -> None:
    objects = _hub_objects()
    hub = _hub_container(objects)
    hub["readinesProbe"] = hub.pop("readinessProbe")
    assert any("readinesProbe" in p for p in schema_problems(one(objects, "Deployment")))

    objects = _hub_objects()
    _hub_container(objects)["ports"][0]["containerPort"] = "8000"
    assert schema_problems(one(objects, "Deployment"))

    cluster = copy.deepcopy(one(objects, "Cluster"))
    cluster["spec"]["instances"] = "three"
    assert any("instances" in p for p in schema_problems(cluster))
    cluster = copy.deepcopy(one(objects, "Cluster"))
    cluster["spec"]["storage"]["sise"] = "20Gi"
    assert any("sise" in p for p in schema_problems(cluster))


@pytest.mark.parametrize("breakage, problem", [
    (lambda o: _hub_container(o)["readinessProbe"]["httpGet"].update(path="/ready"), "readinessProbe is not GET"),
    (lambda o: _hub_container(o)["ports"][0].update(containerPort=8080), "does not listen on its port"),
    (lambda o: one(o, "Service")["spec"]["ports"][0].update(targetPort=8080), "the Service sends port 80"),
    (lambda o: _hub_container(o)["args"].append("--replicas=3"), "unrecognized arguments: --replicas=3"),
    (lambda o: _hub_container(o)["env"].append({"name": "SIMPUL_DATABASE", "value": "x"}), "which nothing reads"),
    (lambda o: _hub_container(o)["env"][0]["valueFrom"]["secretKeyRef"].update(key="url"), "reads key url"),
    (lambda o: _hub_container(o).update(image="simpul:latest"), "not this version's image"),
    (lambda o: _hub_container(o)["securityContext"].update(readOnlyRootFilesystem=False), "writable root"),
    (lambda o: one(o, "Deployment")["spec"]["template"]["spec"]["securityContext"].update(runAsUser=0),
     "may run as root"),
    (lambda o: one(o, "Ingress")["spec"]["rules"][0]["http"]["paths"][0].update(path=METRICS), "exposes /metrics"),
    (lambda o: _hub_container(o)["securityContext"].pop("capabilities"), "restricted Pod Security Standard"),
    (lambda o: o.remove(one(o, "Cluster")), "which no object here provides"),
    (lambda o: _env(o, "FORWARDED_ALLOW_IPS").update(value="*"), "trusts any peer's X-Forwarded-For"),
    (lambda o: _env(o, "FORWARDED_ALLOW_IPS").update(value="0.0.0.0/0"), "trusts any peer's X-Forwarded-For"),
    (lambda o: o.remove(one(o, "NetworkPolicy")), "no NetworkPolicy selects the hub pods"),
    (lambda o: one(o, "NetworkPolicy")["spec"]["ingress"].append({}), "lets in pods of any namespace"),
    (lambda o: _migrate_container(o).update(args=["migrate"]), "grants no --runtime-role"),
    (lambda o: _env(o, "DATABASE_URL")["valueFrom"]["secretKeyRef"].update(name="simpul-db-app"),
     "the owner's DATABASE_URL"),
    (lambda o: _secret(o, "simpul-db-hub")["stringData"].update(uri="postgresql://simpul:x@db/simpul"),
     "connects as simpul"),
], ids=["probe path", "container port", "service port", "hub flag", "env name", "secret key", "image",
        "root filesystem", "root user", "metrics public", "capabilities", "no database", "any proxy",
        "any network", "no network policy", "open network policy", "no runtime role", "hub as owner",
        "hub url of the owner"])
def test_a_broken_manifest_is_caught(breakage: Any, problem: str) -> None:
    objects = _hub_objects()
    breakage(objects)
    assert any(problem in p for p in consistency_problems(objects)), consistency_problems(objects)


# -- against a running hub ---------------------------------------------------------------------------------


def _routes(rule: dict[str, Any], path: str) -> bool:
    """Whether an Ingress path rule takes requests for `path` (Exact, or Prefix by whole segments)."""
    if rule["pathType"] == "Exact":
        return bool(rule["path"] == path)
    prefix = rule["path"].rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


async def test_the_paths_and_the_client_address_the_manifests_rely_on_are_what_the_hub_serves(
    database: str, tmp_path: Path
) -> None:
    objects = kubernetes_objects("hub", "cloudnativepg")
    hub_container = _hub_container(objects)
    env = {e["name"]: e["value"] for e in hub_container["env"] if "value" in e}
    ingress = one(objects, "Ingress")["spec"]["rules"][0]["http"]["paths"]
    hub = ChildProcess(["hub", "--port", "0", "--database-url", database, "--data-dir", str(tmp_path),
                        "--rate-public", "1/minute"], env=env)
    try:
        url = hub.wait_for(r"hub listening on (http://\S+)")[1]
        async with aiohttp.ClientSession() as session:
            for path in (LIVENESS, READINESS, METRICS):
                async with session.get(url + path) as response:
                    assert response.status == 200, f"{path}: {response.status}"
                    if path == METRICS:
                        assert "# TYPE" in await response.text()
            for path in ("/", "/graphql", "/enrol", "/node/rekey", "/node/heartbeat", "/node/poke"):
                assert any(_routes(rule, path) for rule in ingress), f"the Ingress does not route {path}"
                async with session.get(url + path, allow_redirects=False) as response:
                    assert response.status != 404, path

            # A peer the manifest does not trust (here 127.0.0.1, not the ingress) cannot name its own address:
            # every request counts against the peer, whatever X-Forwarded-For it sends.
            track = {"query": '{ trackReport(trackingNumber: "65-000001") { status } }'}
            codes = []
            for client in ("203.0.113.7", "198.51.100.2", "192.0.2.9, 127.0.0.1"):
                async with session.post(url + "/graphql", json=track, headers={"x-forwarded-for": client}) as r:
                    body = await r.json()
                codes.append([e["extensions"]["code"] for e in body.get("errors", [])])
            assert codes == [[], ["RATE_LIMITED"], ["RATE_LIMITED"]], codes
    finally:
        hub.stop()
