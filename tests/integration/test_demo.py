"""`simpul demo`: the whole demo federation comes up, answers, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import psutil

from simpul.demo_data import NODES
from tests.federation import graphql, postgres_serving


async def test_demo_federation_answers_and_ctrl_c_stops_every_process(session: aiohttp.ClientSession) -> None:
    data_dir = Path("/tmp") / f"simpul-demo-{secrets.token_hex(4)}"
    env = {**os.environ, "DATABASE_URL": ""}
    demo = subprocess.Popen([sys.executable, "-m", "simpul", "--log-format", "json", "demo", "--port", "0",
                             "--data-dir", str(data_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    assert demo.stdout is not None
    lines = []
    try:
        for line in demo.stdout:
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                break
        banner = "".join(lines)
        assert "Ctrl-C stops everything" in banner, banner
        graphiql = next(word for word in banner.split() if word.endswith("/graphql"))
        descendants = psutil.Process(demo.pid).children(recursive=True)
        assert len(descendants) == 1 + len(NODES)
        assert postgres_serving(data_dir / "pg"), "the demo runs its own PostgreSQL"

        key = re.search(r'"Authorization": "(Bearer smp_\S+)"', banner)
        assert key is not None, banner
        query = """
          { nodes { code reachable }
            stats(groupBy: [STATUS], filter: {regionPrefix: "65"}) { total buckets { status count } } }
        """
        refused = await graphql(session, graphiql, query)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        body = await graphql(session, graphiql, query, headers={"authorization": key[1]})
        assert "errors" not in body, body
        assert {n["code"] for n in body["data"]["nodes"]} == {n.code for n in NODES}
        kaltara = body["data"]["stats"]
        assert kaltara["total"] == 14
        assert {b["status"]: b["count"] for b in kaltara["buckets"]} == {"COMPLETED": 8, "IN_PROCESS": 6}

        tracking = re.search(r"its reporter tracks it as (\S+)", banner)
        assert tracking is not None, banner
        track = await graphql(session, graphiql, "query T($tn: String!) { trackReport(trackingNumber: $tn) {"
                              " status holder timeline { event node } } }", {"tn": tracking[1]})
        wrong_door = track["data"]["trackReport"]  # the reporter tracks without a key
        assert wrong_door["status"] == "COMPLETED" and wrong_door["holder"] == "64.08"
        assert [(e["event"], e["node"]) for e in wrong_door["timeline"]][:3] == [
            ("RECEIVED", "65"), ("ROUTED", "64.08"), ("DELIVERED", "64.08")]

        password = re.search(r'login\(username: "admin", password: "(\S+)"\)', banner)
        assert password is not None, banner
        login = await graphql(session, graphiql, 'mutation($p: String!) { login(username: "admin", password: $p) '
                              "{ user { role regionCode } } }", {"p": password[1]})
        assert login["data"]["login"]["user"] == {"role": "ADMIN", "regionCode": ""}

        for log in ("hub.log", "node-65.log"):  # the children log as the demo was told to
            lines = (data_dir / "logs" / log).read_text().splitlines()
            logged = [json.loads(line) for line in lines if line.startswith("{")]
            assert logged and all({"time", "level", "message"} <= entry.keys() for entry in logged), log
            printed = [line for line in lines if not line.startswith("{")]  # the address lines, not log records
            assert all(re.match(r"(hub listening on|node \S+ serving on) http://", line) for line in printed), lines

        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(30) in (0, 130)
        _, alive = psutil.wait_procs(descendants, timeout=10)
        assert alive == [], f"left running: {alive}"
        assert postgres_serving(data_dir / "pg") == []
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        demo.stdout.close()
        subprocess.run(["rm", "-rf", str(data_dir)], check=False)
