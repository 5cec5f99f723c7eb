"""Which status may follow which at a desk (SP4N-LAPOR! practice, DOMAIN.md)."""

from __future__ import annotations

from simpul.errors import InvalidInput
from simpul.wire import ReportStatus

S = ReportStatus

NEXT: dict[ReportStatus, frozenset[ReportStatus]] = {
    S.RECEIVED: frozenset({S.VERIFIED, S.ON_HOLD, S.FORWARDED, S.RETURNED, S.ARCHIVED, S.REJECTED}),
    S.ON_HOLD: frozenset({S.VERIFIED, S.ARCHIVED, S.REJECTED}),
    S.VERIFIED: frozenset({S.FORWARDED, S.IN_PROCESS, S.RETURNED}),
    S.FORWARDED: frozenset({S.IN_PROCESS, S.RETURNED}),
    S.IN_PROCESS: frozenset({S.COMPLETED}),
    # A reporter's reply reopens a completed report.
    S.COMPLETED: frozenset({S.CLOSED, S.IN_PROCESS}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.ARCHIVED: frozenset(),
    S.RETURNED: frozenset(),
}

NEEDS_NOTE = frozenset({S.ON_HOLD, S.RETURNED, S.ARCHIVED, S.REJECTED, S.COMPLETED})


def check_transition(current: ReportStatus, new: ReportStatus, note: str | None) -> None:
    """Raise InvalidInput unless `new` may follow `current` with this note."""
    if new not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current])) or "none, it is final"
        raise InvalidInput(f"a {current} report cannot become {new}; allowed: {allowed}")
    if new in NEEDS_NOTE and not (note and note.strip()):
        raise InvalidInput(f"moving a report to {new} needs a note (the reason or the answer)")
