// The GraphQL over HTTP audit (graphql-http's serverAudits) against a live server: prints one JSON
// line per audit, {id, name, status, reason?, responseStatus?}. Usage: node audit.mjs URL
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = await Promise.all(serverAudits({ url }).map(({ fn }) => fn()));
for (const result of results) {
  const { id, name, status } = result;
  const line = { id, name, status };
  if (status !== 'ok') {
    line.reason = result.reason;
    line.responseStatus = result.response.status;
  }
  console.log(JSON.stringify(line));
}
