// The docs' operations (docs/api.md: Me, Submit, Track, Reports, Stats, gathered into operations.graphql) through
// the TypeScript client GraphQL Code Generator made from schema/hub.graphql: strict tsc checks every call and every
// field read here against the schema's types, then Node runs it against a live hub. Prints one JSON object,
// operation name -> data, for tests/integration/test_typed_clients.py.
import {
  MeDocument, ReportsDocument, StatsDocument, SubmitDocument, TrackDocument, type TypedDocumentString,
} from "./generated/graphql.ts";

async function execute<Result, Variables>(query: TypedDocumentString<Result, Variables>, variables: Variables) {
  const response = await fetch(`${process.env.SIMPUL_HUB_URL}/graphql`, {
    method: "POST", body: JSON.stringify({ query, variables }),
    headers: { "content-type": "application/json", authorization: `Bearer ${process.env.SIMPUL_API_KEY}` } });
  const { data, errors } = await response.json();
  if (errors) throw new Error(JSON.stringify(errors));
  return data as Result;
}

const me = await execute(MeDocument, {});
const submitted = await execute(SubmitDocument, {
  report: { kind: "PENGADUAN", title: "Lampu jalan padam", body: "Lampu Jl. Juanda padam sejak Senin.",
            category: "infrastruktur", regionCode: "64.72", channel: "API" },
  key: `typed-client-ts-${process.pid}`,
});
const tracked = await execute(TrackDocument, { tn: submitted.submitReport.trackingNumber });
const reports = await execute(ReportsDocument, { scope: { regionPrefix: "64" }, filter: { kinds: ["PENGADUAN"] },
                                                 first: 10 });
const stats = await execute(StatsDocument, { scope: { regionPrefix: "64" } });

// Reads the types vouch for: a schema change that drops or loosens one of these fields fails tsc.
const counted: number = stats.stats.buckets.reduce((sum, bucket) => sum + bucket.count, 0);
const holder: string | null | undefined = tracked.trackReport?.holder;
const newest: string[] = reports.reports.reports.map((report) => report.trackingNumber);
console.log(JSON.stringify({ Me: me, Submit: submitted, Track: tracked, Reports: reports, Stats: stats,
                             read: { counted, holder, newest, role: me.me.role } }));
