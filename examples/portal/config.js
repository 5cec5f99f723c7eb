// What this portal talks to. Edit these for your province, or override them in the address's fragment,
// e.g. http://127.0.0.1:8080/#hub=http://127.0.0.1:8000&key=...&region=64&name=Kalimantan%20Timur
// (a fragment never reaches the server that serves these files).
//
// `key` is published with the page: make it an integrator key allowed `stats` only, for your province
// (README.md, "The key"). It then reads counts and nothing else; reports are submitted and tracked without one.
const defaults = {
  hub: "http://127.0.0.1:8000",
  key: "",
  region: "64",
  name: "Kalimantan Timur",
};

const given = new URLSearchParams(location.hash.slice(1));
export const config = Object.fromEntries(Object.entries(defaults).map(([name, value]) => [name, given.get(name) ?? value]));
