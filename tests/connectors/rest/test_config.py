"""A mapping that cannot work is refused at start with one line naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.kinds import ConfigError
from connectors.rest import parse
from tests.connectors.rest.conftest import EXAMPLE, TOKEN_ENV, example_config
from tests.federation import run_cli

URL = "http://127.0.0.1:9/api/v1"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "rahasia")


def test_the_documented_example_is_a_working_mapping() -> None:
    config = parse(example_config(URL))
    assert config.auth is not None and config.auth.value == "Bearer rahasia"
    assert config.paging.style == "page" and config.fields["reporter_name"] == "pelapor.nama"


@pytest.mark.parametrize(("change", "message"), [
    ({"base_url": "sipakar.kutaitimurkab.go.id"}, "base_url must be an http(s) URL"),
    ({"fields": {"title": None}}, "[fields] needs 'title'"),
    ({"fields": {"titel": "judul"}}, "[fields] has unknown key 'titel'"),
    ({"auth": {"token": "abc123"}}, "[auth] must not hold the secret itself"),
    ({"auth": {"env": "NO_SUCH_TOKEN_ENV"}}, "auth.env names NO_SUCH_TOKEN_ENV, which is not set"),
    ({"status_map": {"selesai": "DONE"}}, "[status_map] 'selesai' maps to 'DONE', which is not one of RECEIVED"),
    ({"pagination": {"style": "cursor"}}, "needs answers.next_cursor"),
    ({"pagination": {"style": "halaman"}}, "pagination.style must be one of page, offset, cursor"),
    ({"endpoints": {"report": "/laporan"}}, "endpoints.report must contain {id}"),
    ({"endpoints": {"changes": "/laporan"}}, "endpoints.changes needs changes.since_param"),
    ({"timeout": 0}, "timeout must be a number of seconds > 0"),
    ({"timezone": "Asia/Samarinda"}, "timezone 'Asia/Samarinda' is not a known IANA zone"),
    ({"endpoint": {"list": "/x"}}, "the rest configuration has unknown key 'endpoint'"),
])
def test_a_broken_mapping_names_its_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse({**example_config(URL), **change} if "base_url" in change else example_config(URL, **change))
    assert message in str(raised.value)


def test_simpul_node_rest_with_a_bad_config_exits_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('status = "status"\n', 'status = "status"\nstatuss = "x"\n', 1))
    result = run_cli("node", "rest", "--config", str(bad), "--hub-url", "http://127.0.0.1:9",
                     "--data-dir", str(tmp_path), env={TOKEN_ENV: "rahasia"}, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"simpul: error: {bad}: [fields] has unknown key 'statuss'; "
                                                  f"known keys: {', '.join(_field_keys())}"]


def _field_keys() -> list[str]:
    from connectors.rest.config import OPTIONAL_FIELDS, REQUIRED_FIELDS
    return [*REQUIRED_FIELDS, *OPTIONAL_FIELDS]
