"""Federation tracking numbers for an agency's own reports, derived from its ids with a key the node keeps.

Agency systems number their reports in sequence; those numbers stay the
agency's reference, but the federation's public track must not open on a
guess. The node derives each report's number from its local id with a
secret key in its state folder (beside its credentials), so the number is
stable across restarts and needs no bookkeeping per report. The agency
learns a number with `simpul node <kind> --config ... --tracking-number ID`.
"""

from __future__ import annotations

import os
from pathlib import Path

from connectors.kinds import ConfigError
from simpul.tracking import KEY_BYTES, derived_tracking_number, new_key

KEY_FILE = "tracking-key"


class FederationNumbers:
    """The federation numbers of one node's agency reports."""

    def __init__(self, code: str, key: bytes) -> None:
        self.code = code
        self._key = key

    @classmethod
    def load(cls, code: str, state_dir: Path) -> FederationNumbers:
        """The node's key from `state_dir`, made (readable by the node's user only) on first use."""
        path = state_dir / KEY_FILE
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                _create(path)
            key = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot keep the tracking-number key {path}: {exc}") from None
        if len(key) != KEY_BYTES:
            raise ConfigError(f"the tracking-number key {path} is damaged; restore it from the node's backup")
        return cls(code, key)

    def of(self, local_id: str) -> str:
        """The number of the agency's report `local_id`."""
        return derived_tracking_number(self.code, self._key, local_id)


def _create(path: Path) -> None:
    """Write a new key whole, then link it into place: a crash leaves no half key, a race keeps the first."""
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(new_key())
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
