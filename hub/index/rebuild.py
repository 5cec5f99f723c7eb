"""`simpul index rebuild`: read nodes' change feeds again from the start and make the index what they say.

Each node's part is rebuilt by the feed puller (FeedPuller.rebuild): its feed is read
first, while the old rows keep answering, then one transaction switches. The same
runs by itself when a pull finds that a node's feed went backwards.
"""

from __future__ import annotations

from pathlib import Path

from hub.db.migrate import migrate_hub
from hub.federation.client import NodeCallError, NodeClient, node_session
from hub.forwarding.feeds import FeedPuller, Rebuilt
from hub.forwarding.ledger import Ledger
from hub.forwarding.routing import Router
from hub.metrics.families import HubMetrics
from hub.nodes.registry import Registry
from hub.nodes.selection import NodeSelection
from hub.nodes.signatures import HubKey
from hub.nodes.status import NodeStatus
from hub.settings import SCHEMA, HubSettings
from simpul.db.pool import create_pool
from simpul.endpoints import node_endpoints
from simpul.errors import InvalidInput
from simpul.progress import Progress


async def rebuild_nodes(database_url: str, code: str | None, progress: Progress, key_file: Path,
                        node_ca_file: Path | None = None, allow_insecure_nodes: bool = False) -> list[Rebuilt]:
    """`simpul index rebuild`: every active node's part of the index, or node `code`'s, one node at a time,
    asked with the hub's key from `key_file`; `progress` counts the nodes done. A node that cannot be called is
    skipped with the reason (its rows stay as they are)."""
    await migrate_hub(database_url)
    pool = await create_pool(database_url, SCHEMA)
    try:
        registry = Registry(pool)
        nodes = await registry.select(NodeSelection(codes=(code,) if code else None, status=NodeStatus.ACTIVE))
        if code and not nodes:
            raise InvalidInput(f"no active node {code!r}")
        progress.set_total(len(nodes))
        settings = HubSettings()
        async with node_session(settings.node_timeout, node_ca_file) as session:
            client = NodeClient(session, HubKey.load_or_create(key_file), HubMetrics(),
                                endpoints=node_endpoints(allow_insecure_nodes))
            puller = FeedPuller(pool, client, Ledger(Router(pool), settings.max_hops))
            rebuilt = []
            try:
                for node in nodes:
                    try:
                        rebuilt.append(await puller.rebuild(node, progress.note))
                    except NodeCallError as exc:
                        progress.say(f"{node.code}: not rebuilt, the hub cannot call it: {exc.code}: {exc}")
                    progress.advance()
            finally:
                await client.close()
            return rebuilt
    finally:
        await pool.close()
