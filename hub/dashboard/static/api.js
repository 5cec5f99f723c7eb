// The hub as the dashboard sees it: a session token kept for this tab, GraphQL at /graphql, the charts and
// the monitoring report downloads, all with 'Authorization: Bearer <token>'.

const TOKEN = "simpul.dashboard.session";

export class SignedOut extends Error {}

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

function headers() {
  const found = token();
  return found ? { authorization: `Bearer ${found}` } : {};
}

// data of a GraphQL answer; errors beside data (a node down, a missing calendar) go to `warn`.
export async function graphql(query, variables = {}, warn = () => {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers() },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  const errors = body.errors || [];
  if (errors.some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED")) {
    sessionStorage.removeItem(TOKEN);
    throw new SignedOut(errors[0].message);
  }
  if (!body.data) {
    const code = errors.length && errors[0].extensions ? errors[0].extensions.code : undefined;
    throw new ApiError(errors.map((e) => e.message).join("; ") || `HTTP ${response.status}`, code);
  }
  if (errors.length) warn(errors.map((e) => e.message).join("; "));
  return body.data;
}

export async function logIn(username, password) {
  const data = await graphql(
    "mutation LogIn($u: String!, $p: String!) { login(username: $u, password: $p) { token user { name role regionCode } } }",
    { u: username, p: password },
  );
  sessionStorage.setItem(TOKEN, data.login.token);
  return data.login.user;
}

export async function logOut() {
  try {
    await graphql("mutation { logout }");
  } finally {
    sessionStorage.removeItem(TOKEN);
  }
}

// A file the hub serves with the session (a chart, a report), as a Blob.
export async function fetchFile(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = (await response.json()).error || message;
    } catch {
      // not JSON: keep the status
    }
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN);
      throw new SignedOut(message);
    }
    throw new Error(message);
  }
  return response.blob();
}

// Fetch a file with the session and hand it to the browser as a download.
export async function download(path, filename) {
  const url = URL.createObjectURL(await fetchFile(path));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
