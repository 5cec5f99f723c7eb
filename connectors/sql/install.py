"""What the connector creates in the agency database: its own schema and, on request, a feed trigger.

The trigger also NOTIFYs `feed_channel(schema)`, so the node can poke the hub
as soon as the agency's transaction commits.

The trigger function runs SECURITY DEFINER as the connector's role, so the
agency application's own role needs no grant on simpul's schema; installing
it needs CREATE on the database (or the schema) and TRIGGER on the table.
"""

from __future__ import annotations

import asyncpg

from connectors.base import ConnectorError
from connectors.sql.catalog import AgencySchema
from connectors.sql.mapping import SqlMapping, TriggerFeed
from simpul.db.migrate import migrate

_FUNCTION = """
CREATE OR REPLACE FUNCTION "{schema}".simpul_feed_capture() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $simpul$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.{status} IS NOT DISTINCT FROM NEW.{status} THEN
        RETURN NULL;
    END IF;
    INSERT INTO "{schema}".simpul_feed (local_id, status) VALUES (NEW.{id}::text, NEW.{status}::text);
    PERFORM pg_notify('{channel}', '');
    RETURN NULL;
END
$simpul$
"""


def trigger_name(schema: str) -> str:
    return f"simpul_feed_{schema}"


def feed_channel(schema: str) -> str:
    """The channel the trigger NOTIFYs on each feed row, cut to PostgreSQL's 63 bytes (longer fails the insert)."""
    return trigger_name(schema)[:63]


async def install(conn: asyncpg.Connection, mapping: SqlMapping, schema: AgencySchema) -> None:
    """Create the connector's tables, and the feed trigger when the mapping asks for one."""
    try:
        await migrate(conn, mapping.schema, "connectors.sql.migrations")
    except asyncpg.InsufficientPrivilegeError as exc:
        raise ConnectorError(f"cannot create simpul's schema {mapping.schema!r}: {exc}; grant CREATE") from None
    if mapping.trigger is not None:
        await _install_trigger(conn, mapping, mapping.trigger, schema)


def _moment(column: str | None, naive: bool) -> str:
    """SQL for a reports column as an instant: wall time in the mapping's zone ($1) when it has none."""
    return "NULL" if column is None else f'r."{column}" AT TIME ZONE $1' if naive else f'r."{column}"'


async def _install_trigger(conn: asyncpg.Connection, mapping: SqlMapping, trigger: TriggerFeed,
                           agency: AgencySchema) -> None:
    schema = mapping.schema
    name = trigger_name(schema)
    id_column, status_column = f'"{trigger.id_column}"', f'"{trigger.status_column}"'
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"simpul:{schema}:trigger")
            await conn.execute(_FUNCTION.format(schema=schema, id=id_column, status=status_column,
                                               channel=feed_channel(schema)))
            present = await conn.fetchval(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2",
                trigger.table.sql, name)
            if present:
                return
            # CREATE TRIGGER locks out writers until commit, so the backfill below misses no row and
            # no row is both backfilled and captured.
            await conn.execute(
                f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE ON {trigger.table.sql}'
                f' FOR EACH ROW EXECUTE FUNCTION "{schema}".simpul_feed_capture()')
            # The reports already there enter the feed at their own last change (else their receipt), oldest
            # first, so their timelines say when they moved, not when simpul came.
            columns = mapping.columns
            at = (f"coalesce({_moment(columns['updated_at'], agency.updated_naive)},"
                  f" {_moment(columns['received_at'], agency.received_naive)}, clock_timestamp())")
            await conn.execute(
                f'INSERT INTO "{schema}".simpul_feed (local_id, status, at)'
                f" SELECT t.{id_column}::text, t.{status_column}::text, {at} FROM {trigger.table.sql} t"
                f' LEFT JOIN {mapping.reports.sql} r ON r."{columns["id"]}"::text = t.{id_column}::text'
                f" ORDER BY 3, t.{id_column}", mapping.timezone.key)
    except asyncpg.InsufficientPrivilegeError as exc:
        raise ConnectorError(
            f"cannot install the feed trigger on {trigger.table}: {exc}; the connector's role needs TRIGGER"
            " on the table and CREATE on its schema") from None
