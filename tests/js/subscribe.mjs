// graphql-ws's own client (graphql-transport-ws over the ws package) against a live server. Prints one
// JSON line per thing that happens: {connected}, {pong}, {next}, {errors}, {closed, reason}, {completed}.
// Usage: node subscribe.mjs '{"url": "ws://...", "authorization": "Bearer ...", "count": 1, "keepAlive": 0,
//                             "payload": {"query": "...", "variables": {}}}'
// (the payload goes as it is, so it may name a persisted document by documentId instead of a query).
// It completes the subscription itself after `count` results, and ends when the subscription does.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const options = JSON.parse(process.argv[2]);
const print = (line) => console.log(JSON.stringify(line));
process.on('unhandledRejection', (reason) => print({ unhandled: String(reason?.code ?? reason) }));

const client = createClient({
  url: options.url,
  webSocketImpl: WebSocket,
  connectionParams: options.authorization ? { authorization: options.authorization } : {},
  keepAlive: options.keepAlive ?? 0,
  retryAttempts: 0,
  on: {
    connected: () => print({ connected: true }),
    pong: (received) => received && print({ pong: true }),
    closed: (event) => print({ closed: event.code, reason: event.reason }),
  },
});

await new Promise((resolve) => {
  let received = 0;
  const unsubscribe = client.subscribe(
    options.payload,
    {
      next: (result) => {
        print({ next: result });
        if (++received >= (options.count ?? 1)) {
          unsubscribe();
          print({ completed: 'by the client' });
          resolve();
        }
      },
      error: (error) => {
        print(Array.isArray(error) ? { errors: error } : { error: String(error.reason ?? error.message ?? error) });
        resolve();
      },
      complete: () => {
        print({ completed: 'by the server' });
        resolve();
      },
    },
  );
});
await client.dispose();
