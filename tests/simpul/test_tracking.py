"""Federation tracking numbers: 60 bits nobody can step to, derived ones stable under the node's key only."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from connectors.kinds import ConfigError
from connectors.numbering import KEY_FILE, FederationNumbers
from simpul.tracking import CROCKFORD, RANDOM_BITS, derived_tracking_number, is_federation_number, new_tracking_number
from tests.federation import run_cli


def _random_part(number: str) -> str:
    """The 12 characters after the unit's code (`XXXX-XXXX-XXXX`)."""
    return number[-14:].replace("-", "")


def test_a_door_number_carries_the_units_code_and_60_random_bits_in_an_unambiguous_alphabet() -> None:
    numbers = [new_tracking_number("64.08.dinkes") for _ in range(2000)]
    assert all(is_federation_number(n, "64.08.dinkes") for n in numbers)
    assert all(n.startswith("64.08.DINKES-") and len(_random_part(n)) == 12 for n in numbers)
    assert len(_random_part(numbers[0])) * math.log2(len(CROCKFORD)) >= RANDOM_BITS >= 60
    assert not set("ILOU") & set(CROCKFORD)
    assert len(set(numbers)) == len(numbers)
    # Every position varies: no counter, no fixed tail.
    for position in range(12):
        assert len({_random_part(n)[position] for n in numbers}) > 20


def test_a_derived_number_is_stable_for_its_key_and_tells_nothing_of_its_neighbours() -> None:
    key, other = b"a" * 32, b"b" * 32
    assert derived_tracking_number("64.08.sipp", key, "41") == derived_tracking_number("64.08.sipp", key, "41")
    assert derived_tracking_number("64.08.sipp", key, "41") != derived_tracking_number("64.08.sipp", other, "41")
    neighbours = [_random_part(derived_tracking_number("64.08.sipp", key, str(i))) for i in range(40, 50)]
    assert len({n[:8] for n in neighbours}) == 10
    assert is_federation_number(derived_tracking_number("64.08.sipp", key, "41"), "64.08.sipp")
    assert not is_federation_number("64.08.SIPP-41", "64.08.sipp")
    assert not is_federation_number("64.08.SIPP-ABCD-EFGH-JKMN", "64.08")


def test_a_nodes_key_is_made_once_private_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    first = FederationNumbers.load("65.sipp", tmp_path / "node")
    assert (tmp_path / "node" / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert FederationNumbers.load("65.sipp", tmp_path / "node").of("7") == first.of("7")
    (tmp_path / "node" / KEY_FILE).write_bytes(b"short")
    with pytest.raises(ConfigError, match="damaged"):
        FederationNumbers.load("65.sipp", tmp_path / "node")


def test_an_agency_learns_its_reports_numbers_from_the_nodes_command(tmp_path: Path) -> None:
    state = tmp_path / "nodes" / "64.08.sipp"
    missing = run_cli("node", "sql", "--code", "64.08.sipp", "--data-dir", str(tmp_path), "--tracking-number", "42")
    assert missing.returncode != 0 and "no tracking-number key" in missing.stderr, missing.stderr
    numbers = FederationNumbers.load("64.08.sipp", state)
    printed = run_cli("node", "sql", "--code", "64.08.sipp", "--data-dir", str(tmp_path),
                      "--tracking-number", "42", "--tracking-number", "43")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines() == [f"42\t{numbers.of('42')}", f"43\t{numbers.of('43')}"]
