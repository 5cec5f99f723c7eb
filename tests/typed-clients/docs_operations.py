"""The docs' operations (docs/api.md: Me, Submit, Track, Reports, Stats, gathered into operations.graphql) through
the Python client ariadne-codegen made from schema/hub.graphql: mypy --strict checks every call and every field read
here against the generated models, then it runs against a live hub. Prints one JSON object, operation name -> data,
for tests/integration/test_typed_clients.py."""

import asyncio
import json
import os

from simpul_client import Channel, Client, ReportFilter, ReportKind, Scope, SubmitReportInput


async def main() -> None:
    client = Client(os.environ["SIMPUL_HUB_URL"] + "/graphql",
                    headers={"authorization": f"Bearer {os.environ['SIMPUL_API_KEY']}"})
    me = await client.me()
    submitted = await client.submit(
        report=SubmitReportInput(kind=ReportKind.PENGADUAN, title="Lampu jalan padam",
                                 body="Lampu Jl. Juanda padam sejak Senin.", category="infrastruktur",
                                 regionCode="64.72", channel=Channel.API),
        key=f"typed-client-py-{os.getpid()}")
    tracked = await client.track(tn=submitted.submitReport.trackingNumber)
    reports = await client.reports(scope=Scope(regionPrefix="64"), filter_=ReportFilter(kinds=[ReportKind.PENGADUAN]),
                                   first=10)
    stats = await client.stats(scope=Scope(regionPrefix="64"))

    # Reads the types vouch for: a schema change that drops or loosens one of these fields fails mypy.
    counted: int = sum(bucket.count for bucket in stats.stats.buckets)
    holder: str | None = tracked.trackReport.holder if tracked.trackReport else None
    newest: list[str] = [report.trackingNumber for report in reports.reports.reports]
    answers = {"Me": me, "Submit": submitted, "Track": tracked, "Reports": reports, "Stats": stats}
    print(json.dumps({**{name: answer.model_dump(mode="json") for name, answer in answers.items()},
                      "read": {"counted": counted, "holder": holder, "newest": newest, "role": me.me.role.value}}))


asyncio.run(main())
