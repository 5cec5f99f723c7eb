// The hub, as a browser page on another origin calls it: GraphQL over HTTP, and subscriptions over a WebSocket
// (graphql-transport-ws). No library: fetch and WebSocket are all a portal needs.

/** Run one GraphQL operation; resolves to `data`, rejects with the hub's first error message. */
export async function graphql(hub, query, variables = {}, key = null) {
  const headers = {"content-type": "application/json"};
  if (key) headers.authorization = `Bearer ${key}`;
  let answer;
  try {
    answer = await fetch(new URL("/graphql", hub), {method: "POST", headers, body: JSON.stringify({query, variables})});
  } catch {
    throw new Error("Server pengaduan tidak dapat dihubungi. Coba lagi sebentar lagi.");
  }
  const body = await answer.json().catch(() => ({}));
  if (body.errors?.length) throw new Error(body.errors[0].message);
  if (!answer.ok || !body.data) throw new Error(`Server pengaduan menjawab ${answer.status}.`);
  return body.data;
}

/**
 * Subscribe and keep subscribed: each `next` goes to onData, and the socket comes back after a drop (1 s, then
 * doubling up to 30 s). onState hears "live", "reconnecting" or "error" (with the hub's message).
 * Returns a function that ends the subscription.
 */
export function subscribe(hub, query, variables, {key, onData, onState = () => {}}) {
  const url = new URL("/graphql", hub);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  let socket;
  let ended = false;
  let delay = 1000;
  const send = (message) => socket.send(JSON.stringify(message));
  const open = () => {
    socket = new WebSocket(url, "graphql-transport-ws");
    socket.onopen = () => send({type: "connection_init", payload: key ? {authorization: `Bearer ${key}`} : {}});
    socket.onmessage = ({data}) => {
      const message = JSON.parse(data);
      if (message.type === "connection_ack") {
        send({id: "1", type: "subscribe", payload: {query, variables}});
      } else if (message.type === "next") {
        if (message.payload.errors?.length) onState("error", message.payload.errors[0].message);
        else {
          delay = 1000;
          onState("live");
          onData(message.payload.data);
        }
      } else if (message.type === "error") {
        onState("error", message.payload?.[0]?.message ?? "langganan ditolak");
      } else if (message.type === "ping") {
        send({type: "pong"});
      } else if (message.type === "complete") {
        socket.close();  // the hub ended it (its event feed was interrupted): subscribe again
      }
    };
    socket.onclose = () => {
      if (ended) return;
      onState("reconnecting");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    };
  };
  open();
  return () => {
    ended = true;
    socket.close();
  };
}
