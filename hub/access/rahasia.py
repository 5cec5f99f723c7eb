"""Rahasia: a confidential report is not published. Who may read what one says, decided here only.

DOMAIN.md: "rahasia: the report itself is not published - only the admins and
the handling unit see it"; Perpres 76/2013 protects the complainant. What a
report says (title, body, location, the notes of its timeline) is read by the
unit holding it, admins in its region (who route it) and supervisors in its
region (the Ombudsman's oversight). Integrator keys, the public, and every
publication (Open311, the dashboard, exports) learn that it exists, its status,
dates, category and region, never its content.
"""

from __future__ import annotations

from hub.access.principal import Principal, Role

HIDDEN = "rahasia: content not published"  # what a field description says about a withheld value


def shows_content(
    reader: Principal, region_code: str, confidential: bool, holder_node: str | None, published: bool = False
) -> bool:
    """Whether `reader` may read what a report says (of an open report, the caller's scope alone decides).
    `published`: the answer leaves through a publication (Open311, the dashboard, an export), which carries no
    rahasia content whoever asks."""
    if not confidential:
        return True
    if published:
        return False
    if reader.role is Role.NODE:
        return reader.node_code is not None and reader.node_code == holder_node
    if reader.role in (Role.ADMIN, Role.SUPERVISOR):
        return reader.covers(region_code)
    return False
