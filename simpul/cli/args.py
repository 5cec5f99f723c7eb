"""Building blocks of the `simpul` command line: one-line errors, shared argument types, and the flags of a
settings table (simpul/setting.py)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from simpul import setting

T = TypeVar("T")


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag or a missing setting in one line, and takes flags only spelled out
    (no `--conf` for `--config`: a script's abbreviation must not change meaning when a flag is added)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def argument_type(read: Callable[[str], T]) -> Callable[[str], T]:
    """`read` as an argparse type: its ValueError becomes argparse's one-line message. A value that came from
    an environment variable (_FromEnv) is named by that variable, since the user typed no flag."""

    def parse(text: str) -> T:
        try:
            return read(str(text))  # a plain str: the value outlives the flag, pickled to --workers processes
        except ValueError as exc:
            where = f"{text.variable}: " if isinstance(text, _FromEnv) else ""
            raise argparse.ArgumentTypeError(f"{where}{exc}") from None

    parse.__name__ = read.__name__
    return parse


positive = argument_type(setting.positive)
count = argument_type(setting.count)
port = argument_type(setting.port)
duration = argument_type(setting.duration)
rate = argument_type(setting.rate)


def year(value: str) -> int:
    if not value.isdigit() or not 1900 <= int(value) <= 2200:
        raise argparse.ArgumentTypeError(f"a year like 2025 expected, not {value!r}")
    return int(value)


class _FromEnv(str):
    """A flag's default taken from its environment variable: argparse reads a string default as if it were
    typed after the flag, so a bad value fails as a bad flag does, naming the variable."""

    variable: str

    def __new__(cls, text: str, variable: str) -> _FromEnv:
        value = super().__new__(cls, text)
        value.variable = variable
        return value


class _Switch(argparse.Action):
    """A flag without a value that sets its setting to `const`; its default may be text from the environment,
    read (true/false) like any other flag's."""

    def __init__(self, option_strings: Sequence[str], dest: str, const: bool, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, const=const, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, self.const)


def add_setting_flags(parser: argparse.ArgumentParser, settings: type[Any], only: Iterable[str] | None = None,
                      environ: Mapping[str, str] = os.environ) -> None:
    """One flag per field of the settings class `settings` (or of the fields named in `only`), its help
    ending with its default and its environment variable; a variable that is set and not empty is the default."""
    wanted = set(only) if only is not None else None
    for s in setting.settings_of(settings):
        if wanted is not None and s.name not in wanted:
            continue
        text = environ.get(s.env)
        default = _FromEnv(text, s.env) if text else s.default
        if isinstance(s.default, bool):
            help = f"{s.help} (default {s.shown}; env {s.env}={str(not s.default).lower()})"
            parser.add_argument(s.flag, dest=s.name, action=_Switch, const=not s.default, default=default,
                                type=argument_type(s.read), help=help)
        else:
            help = f"{s.help} (default {s.shown}; env {s.env})"
            parser.add_argument(s.flag, dest=s.name, default=default, type=argument_type(s.read),
                                metavar=s.metavar, help=help)


def settings_from_args(settings: type[T], args: argparse.Namespace) -> T:
    """The settings the flags of `add_setting_flags` were given (or left at their variables and defaults)."""
    names = [s.name for s in setting.settings_of(settings)]
    return settings(**{name: getattr(args, name) for name in names if hasattr(args, name)})


def database_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL URL (env DATABASE_URL); unset: embedded PostgreSQL")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("SIMPUL_DATA_DIR", ".simpul")),
                        help="folder for the embedded PostgreSQL and node state (default .simpul)")


def listen_args(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port, default=default_port,
                        help=f"port to listen on (default {default_port}; 0 picks a free one)")


def tracing_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--otlp-endpoint", default=None,
                        help="send traces to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (default: "
                             "OTEL_EXPORTER_OTLP_ENDPOINT if set, else no tracing)")


def pem_file(path: Path | None, flag: str) -> Path | None:
    """`path` when it is a readable PEM file (checked at start, not at the first TLS handshake)."""
    if path is None:
        return None
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{flag}: cannot read {path} ({exc.__class__.__name__})") from None
    if "-----BEGIN " not in text:
        raise CommandError(f"{flag}: {path} is not a PEM file")
    return path


def node_tls_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tls-cert", type=Path, metavar="PEM",
                        help="serve https with this certificate chain (with --tls-key); the default public URL "
                             "becomes https://host:port")
    parser.add_argument("--tls-key", type=Path, metavar="PEM", help="the private key of --tls-cert")
    parser.add_argument("--allow-insecure-hub", action="store_true",
                        help="enrol with and call a plain-http hub off loopback (labs only)")
