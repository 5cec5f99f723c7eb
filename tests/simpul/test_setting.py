"""simpul/setting.py: a settings field says once what its flag and variable need to know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from simpul.setting import boolean, duration, setting, settings_of


@dataclass(frozen=True)
class _Example:
    pull_interval: float = setting(5.0, "seconds between pulls", read=float)
    data_dir: Path = setting(Path(".simpul"), "where state lives")
    introspection: bool = setting(True, "refuse introspection")
    verbose: bool = setting(False, "say more")
    database_url: str | None = setting(None, "PostgreSQL URL", env="DATABASE_URL", shown="embedded")


def test_flag_variable_reader_and_shown_default_follow_from_the_field() -> None:
    pull, data_dir, introspection, verbose, database = settings_of(_Example)
    assert (pull.flag, pull.env, pull.shown) == ("--pull-interval", "SIMPUL_PULL_INTERVAL", "5")
    assert data_dir.read("/var/lib/simpul") == Path("/var/lib/simpul") and data_dir.shown == ".simpul"
    assert (introspection.flag, introspection.shown) == ("--no-introspection", "on")
    assert (verbose.flag, verbose.read("yes"), verbose.shown) == ("--verbose", True, "off")
    assert (database.env, database.shown, database.read("postgresql://db")) == ("DATABASE_URL", "embedded",
                                                                                "postgresql://db")


def test_a_field_not_declared_as_a_setting_is_refused() -> None:
    @dataclass(frozen=True)
    class Loose:
        port: int = 8000

    with pytest.raises(TypeError, match="Loose.port is not declared with setting"):
        settings_of(Loose)


def test_a_setting_whose_text_cannot_be_read_from_its_default_must_say_how() -> None:
    @dataclass(frozen=True)
    class Unread:
        workers: int = setting(1, "processes")

    with pytest.raises(TypeError, match="needs read="):
        settings_of(Unread)


def test_readers_say_what_they_expected() -> None:
    assert duration("12h") == timedelta(hours=12) and boolean("OFF") is False
    with pytest.raises(ValueError, match="duration like 30m"):
        duration("soon")
    with pytest.raises(ValueError, match="true or false"):
        boolean("perhaps")
