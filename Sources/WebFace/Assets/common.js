// Shared by the pages' scripts: secrets kept in the browser, calls to ImageGate's public JSON API (the pages have
// no API of their own), DOM built from text (never from HTML strings, so nothing a user typed can become markup),
// and money and dates written for people.

/** A secret (API key, admin token) from this tab's storage, or from the device's when the person asked to be remembered. */
export function loadSecret(name) {
  return sessionStorage.getItem(name) ?? localStorage.getItem(name) ?? "";
}

/** Keeps a secret in this tab only, or on the device with `remember`; an empty value forgets it. */
export function saveSecret(name, value, remember) {
  sessionStorage.removeItem(name);
  localStorage.removeItem(name);
  if (value) (remember ? localStorage : sessionStorage).setItem(name, value);
}

/** Wires a secret's field (and its "Remember" box, if any); `changed(value)` runs at start and after each change. */
export function secretField(input, remember, storageName, changed) {
  // A key typed or pasted before this module ran (it runs once the page has loaded) is kept and saved; overwriting it
  // with the saved one, or with nothing, would lose what the person entered.
  if (!input.value.trim()) input.value = loadSecret(storageName);
  if (remember) remember.checked = localStorage.getItem(storageName) !== null;
  // A change event also fires when the field loses focus (a click on the page's own buttons): only a new value is
  // a new key, so the page is not reloaded under the person's click.
  let current = input.value.trim();
  const store = () => {
    const value = input.value.trim();
    saveSecret(storageName, value, remember?.checked ?? false);
    if (value === current) return;
    current = value;
    changed(value);
  };
  input.addEventListener("change", store);
  remember?.addEventListener("change", store);
  saveSecret(storageName, current, remember?.checked ?? false);
  changed(current);
}

/** An answer of the API that is not a success: status, `code`, `param` and the server's message. */
export class APIError extends Error {
  constructor(status, body, headers) {
    super(body?.message ?? body?.error?.message ?? `The server answered ${status}.`);
    this.status = status;
    this.code = body?.code ?? body?.error?.code ?? null;
    this.param = body?.param ?? body?.error?.param ?? null;
    const wait = Number(headers?.get("Retry-After"));
    this.retryAfter = Number.isFinite(wait) ? wait : null;
  }
}

/** No answer at all: the request may or may not have reached the server. */
export class NetworkError extends Error {}

/**
 * Calls the API. Resolves with `{status, data, headers}`; rejects with `APIError` or `NetworkError`.
 * With `generation`, an answer that carries a generation (a replayed failed run is 502, a cancelled one 409) is a result.
 */
export async function call(path, { secret, method = "GET", body, headers = {}, generation = false } = {}) {
  const init = { method, headers: { ...headers }, cache: "no-store" };
  if (secret) init.headers.Authorization = `Bearer ${secret}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new NetworkError("The network connection was lost before the server answered.");
  }
  const text = await response.text().catch(() => "");
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok && !(generation && data?.generation_id)) throw new APIError(response.status, data, response.headers);
  return { status: response.status, data, headers: response.headers };
}

/**
 * Follows `GET /v1/generations/{id}/events` (Server-Sent Events read through fetch, because EventSource cannot send
 * the key in a header and keys never go in URLs). Calls `onEvent({id, event, data})`; resolves with the last event id.
 */
export async function followEvents(path, secret, lastEventID, onEvent) {
  const headers = { Authorization: `Bearer ${secret}`, Accept: "text/event-stream" };
  if (lastEventID) headers["Last-Event-ID"] = String(lastEventID);
  let response;
  try {
    response = await fetch(path, { headers, cache: "no-store" });
  } catch {
    throw new NetworkError("The network connection was lost while following the generation.");
  }
  if (!response.ok) throw new APIError(response.status, await response.json().catch(() => null), response.headers);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last = lastEventID;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      throw new NetworkError("The network connection was lost while following the generation.");
    }
    if (chunk.done) return last;
    buffer += chunk.value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { id: null, event: "message", data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") event.id = value;
        else if (field === "event") event.event = value;
        else if (field === "data") event.data += value;
      }
      if (!event.data) continue;
      if (event.id) last = event.id;
      onEvent({ ...event, data: JSON.parse(event.data) });
    }
  }
}

/** A fresh `Idempotency-Key` (randomUUID needs a secure context; plain http on a LAN address is not one). */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An element with properties, attributes, listeners (`on…`) and children (strings become text, never HTML). */
export function el(tag, props = {}, ...children) {
  const node = tag === "svg" || props.svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "svg" || value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/** Integer micro-dollars from an amount the API wrote in dollars (at most six decimals, so this is exact). */
export function micros(dollars) {
  return Math.round(Number(dollars ?? 0) * 1e6);
}

/** "$0.014", "$0.042", "$10.00": integer micro-dollars written with at least two decimals. */
export function usd(amount) {
  const sign = amount < 0 ? "-" : "";
  const value = Math.abs(Math.round(amount));
  const whole = Math.floor(value / 1e6);
  let fraction = String(value % 1e6).padStart(6, "0").replace(/0+$/, "");
  if (fraction.length < 2) fraction = fraction.padEnd(2, "0");
  return `${sign}$${whole}.${fraction}`;
}

/** A date and time in the person's own locale. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

/** "6 days 23 hours", "5 minutes": how long until `iso`; null once it has passed. */
export function timeUntil(iso) {
  const seconds = Math.floor((new Date(iso).getTime() - Date.now()) / 1000);
  if (!(seconds > 0)) return null;
  const parts = [
    [Math.floor(seconds / 86400), "day"],
    [Math.floor((seconds % 86400) / 3600), "hour"],
    [Math.floor((seconds % 3600) / 60), "minute"],
  ].filter(([count]) => count > 0);
  if (parts.length === 0) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  return parts.slice(0, 2).map(([count, unit]) => `${count} ${unit}${count === 1 ? "" : "s"}`).join(" ");
}

/** What went wrong, in words, for any failure of `call`. */
export function explain(error) {
  if (error instanceof NetworkError) return error.message;
  if (!(error instanceof APIError)) return String(error?.message ?? error);
  if (error.status === 401) return "This key was not accepted: check it, or ask the operator for a new one.";
  if (error.status === 429 && error.retryAfter !== null) return `${error.message} Try again in ${error.retryAfter} s.`;
  return error.message;
}

/**
 * Names every cell of `table`'s body after its column, so that on a narrow screen (where `table.cards` stacks each
 * row as a card) a value keeps its label instead of the table scrolling sideways inside its panel.
 */
export function labelCells(table) {
  const labels = [...table.tHead.rows[0].cells].map((cell) => cell.textContent.trim());
  for (const row of table.tBodies[0].rows) {
    [...row.cells].forEach((cell, index) => { if (labels[index]) cell.dataset.label = labels[index]; });
  }
}
