"""A setting declared once: its default, its help and how its text is read; its flag and variable follow.

A settings class (hub/settings.py's HubSettings) is a frozen dataclass of `setting(...)` fields. The command
line makes one flag per field, `--node-timeout` for `node_timeout`, whose value may also come from the
environment, `SIMPUL_NODE_TIMEOUT` (a flag wins over the environment, the environment over the default), as
uvicorn reads `UVICORN_*`. The readers below raise ValueError with a message that says what was expected.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ENV_PREFIX = "SIMPUL_"
_METADATA = "simpul.setting"

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
DURATION = re.compile(r"^([0-9]+)([smhd])$")


def positive(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if number <= 0:
        raise ValueError(f"must be positive: {text!r}")
    return number


def share(text: str) -> float:
    """A share of a whole: a number from 0 to 1, like 0.8."""
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not 0 <= number <= 1:
        raise ValueError(f"a share from 0 to 1 expected, like 0.8, not {text!r}")
    return number


def count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"a whole number of at least 1 expected, not {text!r}")
    return int(text)


def port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"not a port number: {text!r}")
    return int(text)


def duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match:
        raise ValueError(f"duration like 30m, 12h or 7d expected, not {text!r}")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: int(match[1])})


def rate(text: str) -> str:
    """A rate limit like 30/minute or 1000/hour."""
    import limits

    try:
        limits.parse(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a rate like 30/minute or 1000/hour") from None
    return text


def boolean(text: str) -> bool:
    """A switch given as text (environment variables): 1/true/yes/on or 0/false/no/off."""
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise ValueError(f"true or false (1/0, yes/no, on/off) expected, not {text!r}")


@dataclass(frozen=True)
class Setting:
    """One field of a settings class, as the command line and the environment give it."""

    name: str
    default: object
    help: str
    read: Callable[[str], object]  # text -> value; raises ValueError saying what was expected
    env: str
    metavar: str | None
    shown: str  # the default, as help shows it

    @property
    def flag(self) -> str:
        """`--node-timeout` for `node_timeout`; a switch on by default is turned off by `--no-<name>`."""
        name = self.name.replace("_", "-")
        return f"--no-{name}" if self.default is True else f"--{name}"


@dataclass(frozen=True)
class _Declared:
    help: str
    read: Callable[[str], object] | None
    env: str | None
    metavar: str | None
    shown: str | None


def setting(default: T, help: str, *, read: Callable[[str], object] | None = None, env: str | None = None,
            metavar: str | None = None, shown: str | None = None, repr: bool = True) -> T:
    """A settings field: `read` turns a flag's or a variable's text into the value (default: as its default's
    type is built from text); `env` replaces SIMPUL_<NAME>; `shown` is the default in words, for help."""
    declared = _Declared(help, read, env, metavar, shown)
    field: T = dataclasses.field(default=default, repr=repr, metadata={_METADATA: declared})
    return field


def settings_of(cls: type[Any]) -> list[Setting]:
    """Every field of a settings class, in declaration order; a field not made with `setting()` is a mistake."""
    found = []
    for f in dataclasses.fields(cls):
        declared = f.metadata.get(_METADATA)
        if not isinstance(declared, _Declared):
            raise TypeError(f"{cls.__name__}.{f.name} is not declared with setting()")
        found.append(Setting(
            name=f.name, default=f.default, help=declared.help, read=declared.read or _reader(f.default),
            env=declared.env or ENV_PREFIX + f.name.upper(), metavar=declared.metavar,
            shown=declared.shown or _shown(f.default),
        ))
    return found


def _reader(default: object) -> Callable[[str], object]:
    if isinstance(default, bool):
        return boolean
    if isinstance(default, Path):
        return Path
    if isinstance(default, str) or default is None:
        return str
    raise TypeError(f"a setting defaulting to {default!r} needs read=")


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, float):
        return f"{default:g}"
    if default is None:
        return "none"
    return str(default)
