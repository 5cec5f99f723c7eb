"""A sql mapping is checked when it is read: every bad key is named, no identifier reaches SQL unchecked."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.kinds import ConfigError
from connectors.sql import read_mapping
from tests.connectors.sql.agency import example_config

DSN = "postgresql://sipp@127.0.0.1/sipp"


def _with(**tables: Any) -> dict[str, Any]:
    config = example_config(DSN)
    for key, value in tables.items():
        config[key] = {**config[key], **value} if key in ("reports", "insert") else value
    return config


def test_the_example_mapping_reads_as_documented() -> None:
    mapping = read_mapping(example_config(DSN))
    assert (mapping.reports.sql, mapping.region_format, str(mapping.timezone)) == (
        '"sipp"."v_pengaduan"', "compact", "Asia/Makassar")
    assert mapping.status_map["2"] == "IN_PROCESS" and mapping.category_map["Kesehatan"] == "kesehatan"
    assert mapping.insert is not None and mapping.insert.lookups["kategori_id"].pick == "id"
    assert mapping.trigger is not None and str(mapping.trigger.table) == "sipp.pengaduan"


def test_the_dsn_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = example_config(DSN)
    del config["dsn"]
    config["dsn_env"] = "SIPP_TEST_DSN"
    with pytest.raises(ConfigError, match="SIPP_TEST_DSN named by 'dsn_env' is not set"):
        read_mapping(config)
    monkeypatch.setenv("SIPP_TEST_DSN", DSN)
    assert read_mapping(config).dsn == DSN
    assert DSN not in repr(read_mapping(config))


@pytest.mark.parametrize(("config", "message"), [
    (_with(reports={"table": 'sipp.pengaduan"; DROP TABLE pengaduan; --'}), "reports.table must be a plain SQL"),
    (_with(reports={"table": "a.b.c"}), "reports.table must be <schema>.<table>"),
    (_with(reports={"title": "judul || isi"}), "reports.title must be a plain SQL identifier"),
    (_with(insert={"columns": {"judul; --": "title"}}), "insert.columns.judul; -- must be a plain SQL identifier"),
    (_with(insert={"columns": {"judul": "judul"}}), "insert.columns.judul = 'judul' is not one of our fields"),
    (_with(status_map={"1": "DITERIMA"}), "status_map.1 = 'DITERIMA' is not one of"),
    (_with(status_map={}), "[status_map] must map"),
    (_with(timezone="WITA"), "'timezone' 'WITA' is not a known time zone"),
    (_with(region_format="titik"), "'region_format' must be one of dotted, compact"),
    (_with(feed="polling"), "'feed' must be one of updated_at, trigger, history"),
    (_with(feed="history"), 'feed = "history" needs [history] table'),
    (_with(feed="history", history={"table": "sipp.riwayat"}), "[history] needs 'report'"),
    (_with(feed="history", history={"table": "sipp.riwayat", "report": "id_pengaduan", "warna": "x"}),
     "[history] has unknown keys: warna"),
    (_with(history={"table": "sipp.riwayat", "report": "id_pengaduan"}),
     '[history] is read only with feed = "history"'),
    (_with(schema="simpul-sipp"), "schema must be a plain SQL identifier"),
    (_with(kind_map={}), "[kind_map] is needed when reports.kind is mapped"),
    (_with(dsn_env="X"), "either 'dsn' or 'dsn_env', not both"),
])
def test_a_bad_mapping_is_refused_naming_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_mapping(config)
    assert message in str(raised.value)


def test_a_mapping_without_a_required_column_says_which() -> None:
    config = example_config(DSN)
    del config["reports"]["updated_at"]
    with pytest.raises(ConfigError, match="\\[reports\\] needs 'updated_at'"):
        read_mapping(config)
