"""What differs in the SQL text between PostgreSQL and MySQL/MariaDB, chosen by the DSN's scheme.

The mapping's queries are written once (queries.py) with `$n` parameters and
double-quoted identifiers; MySQL connections run with ANSI_QUOTES so they read
the same identifiers, and `MysqlDatabase` turns `$n` into the driver's `%s`.
Only the expressions below differ: casts to text, trimming, byte order,
lists of values, and how the accepted-report row is joined.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from connectors.kinds import ConfigError

POSTGRES_SCHEMES = ("postgresql", "postgres")
MYSQL_SCHEMES = ("mysql", "mariadb")

# Per session: identifiers in double quotes as in PostgreSQL, TIMESTAMP columns read and written in UTC,
# and the strict mode of MySQL 8 / MariaDB 10.2+ whatever the server's default.
MYSQL_SESSION = ("SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION',"
                 " time_zone = '+00:00'")

_PARAM = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class Dialect:
    name: str  # "postgresql" or "mysql"

    @property
    def mysql(self) -> bool:
        return self.name == "mysql"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS CHAR)" if self.mysql else f"{expr}::text"

    def trim(self, expr: str) -> str:
        return f"TRIM({self.text(expr)})" if self.mysql else f"btrim({self.text(expr)})"

    @property
    def null_text(self) -> str:
        return "NULL" if self.mysql else "NULL::text"

    def byte_order(self, text_expr: str) -> str:
        """`text_expr` compared and sorted byte by byte, as the Keyset contract requires."""
        return f"{text_expr} COLLATE utf8mb4_bin" if self.mysql else f'{text_expr} COLLATE "C"'

    def any(self, expr: str, placeholders: Sequence[str]) -> str:
        """`expr` is one of the values; PostgreSQL takes them as one array parameter."""
        if self.mysql:
            return f"{expr} IN ({', '.join(placeholders)})" if placeholders else "FALSE"
        return f"{expr} = ANY({placeholders[0]}::text[])"

    def region_prefix(self, dotted_expr: str, level_placeholder: str) -> str:
        """The first `level` dot-separated segments of a dotted region code."""
        if self.mysql:
            return f"SUBSTRING_INDEX({dotted_expr}, '.', {level_placeholder})"
        return f"array_to_string((string_to_array({dotted_expr}, '.'))[1:{level_placeholder}], '.')"


POSTGRESQL = Dialect("postgresql")
MYSQL = Dialect("mysql")


def dialect_of(dsn: str) -> Dialect:
    scheme = urlsplit(dsn).scheme.split("+")[0].lower()
    if scheme in POSTGRES_SCHEMES:
        return POSTGRESQL
    if scheme in MYSQL_SCHEMES:
        return MYSQL
    raise ConfigError(f"the dsn must start with postgresql://, mysql:// or mariadb://, not {scheme or '(none)'}://")


def mysql_params(dsn: str) -> dict[str, Any]:
    """asyncmy's connect() arguments for a mysql:// or mariadb:// URL (`?unix_socket=/path` for a socket)."""
    url = urlsplit(dsn)
    query = dict(part.partition("=")[::2] for part in url.query.split("&") if part)
    params: dict[str, Any] = {"host": url.hostname or "127.0.0.1", "port": url.port or 3306,
                              "user": unquote(url.username or "root"), "password": unquote(url.password or ""),
                              "charset": "utf8mb4"}
    database = url.path.lstrip("/")
    if database:
        params["database"] = unquote(database)
    if "unix_socket" in query:
        params["unix_socket"] = unquote(query["unix_socket"])
    return params


def mysql_database_name(dsn: str) -> str:
    name = unquote(urlsplit(dsn).path.lstrip("/"))
    if not name:
        raise ConfigError("a mysql:// dsn must name the agency's database, e.g. mysql://simpul@db/pengaduan")
    return name


def format_params(sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
    """`$n` placeholders as the `%s` the MySQL driver takes, the values repeated in the order they appear."""
    text, order = _placeholders(sql)
    return text, [params[n] for n in order]


@functools.lru_cache(maxsize=256)
def _placeholders(sql: str) -> tuple[str, tuple[int, ...]]:
    """`sql` with `%s` for each `$n`, and the parameter index each stands for; a mapping's statements are few
    and asked again and again, so each is rewritten once."""
    order: list[int] = []

    def place(match: re.Match[str]) -> str:
        order.append(int(match.group(1)) - 1)
        return "%s"

    return _PARAM.sub(place, sql.replace("%", "%%")), tuple(order)
