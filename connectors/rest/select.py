"""The node contract's filtering, ordering, keyset and counting, done in Python over fetched reports.

Few agency APIs can filter or order the way the contract needs, so the
connector fetches and decides here, exactly as the SQL of the desk would:
order by received_at descending, then local id ascending in byte order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from connectors.base import Keyset, ReportFilter
from simpul.report import Report, StatsBucket
from simpul.wire import Dimension, in_region


def matches(report: Report, f: ReportFilter) -> bool:
    return (
        (not f.statuses or report.status in f.statuses)
        and (not f.kinds or report.kind in f.kinds)
        and (not f.categories or report.category in f.categories)
        and (f.region_prefix is None or in_region(report.region_code, f.region_prefix))
        and (f.received_from is None or report.received_at >= f.received_from)
        and (f.received_to is None or report.received_at < f.received_to)
    )


def _after(report: Report, keyset: Keyset) -> bool:
    if report.received_at < keyset.received_at:
        return True
    return (keyset.after_id is not None and report.received_at == keyset.received_at
            and report.local_id.encode() > keyset.after_id.encode())


def page(reports: Iterable[Report], f: ReportFilter, after: Keyset | None, limit: int) -> list[Report]:
    """Up to `limit` matching reports in list order, after `after`."""
    chosen = [r for r in reports if matches(r, f) and (after is None or _after(r, after))]
    by_id = sorted(chosen, key=lambda r: r.local_id.encode())
    return sorted(by_id, key=lambda r: r.received_at, reverse=True)[:limit]  # stable: ties keep id order


def count(reports: Iterable[Report], f: ReportFilter, group_by: Sequence[Dimension],
          region_level: int) -> list[StatsBucket]:
    """Counts of matching reports per combination of `group_by`, regions cut to `region_level` segments."""
    dims = list(dict.fromkeys(group_by))
    counted: Counter[StatsBucket] = Counter()
    for report in reports:
        if matches(report, f):
            counted[StatsBucket(
                count=0,
                status=report.status if Dimension.STATUS in dims else None,
                kind=report.kind if Dimension.KIND in dims else None,
                category=report.category if Dimension.CATEGORY in dims else None,
                region_code=".".join(report.region_code.split(".")[:region_level])
                if Dimension.REGION in dims else None,
            )] += 1
    return [bucket.model_copy(update={"count": n}) for bucket, n in counted.items()]
