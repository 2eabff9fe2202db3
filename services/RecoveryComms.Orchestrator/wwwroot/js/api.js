// Talking to the orchestrator: the user's key, JSON calls, audio, and the live event stream.
// The key lives in sessionStorage: it lasts for the browser tab's session, is never put in a URL, and is sent only
// in the Authorization header of requests to this origin.

const KeyName = "recoverycomms.key";

export const session = {
  get key() { return sessionStorage.getItem(KeyName); },
  set key(value) {
    if (value) { sessionStorage.setItem(KeyName, value); } else { sessionStorage.removeItem(KeyName); }
  },
};

/** An answer other than 2xx, with the problem document's fields when the service sent one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The service answered ${status}.`);
    this.status = status;
    this.type = (problem?.type || "").split("/").pop();
    this.title = problem?.title || "";
    this.errors = problem?.errors || {};
    this.reasons = problem?.reasons || [];
  }
}

/** Called when the service says the key is not (or no longer) valid. */
let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

async function send(path, { method = "GET", body, signal } = {}) {
  const headers = { Authorization: `Bearer ${session.key}` };
  if (body !== undefined) { headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, {
    method, headers, signal, cache: "no-store", credentials: "omit",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { onUnauthorized(); }
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not a problem document */ }
    throw new ApiError(response.status, problem);
  }
  return response;
}

/** GET (or another method with a JSON body) and the answer's JSON, or null when it has none. */
export async function api(path, options) {
  const response = await send(path, options);
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : null;
}

/** A file (audio, CSV) as a blob: fetched with the key, so no URL that grants access ever appears in the page. */
export async function apiBlob(path) {
  const response = await send(path);
  return response.blob();
}

/** Query string from an object, leaving out empty values. */
export function query(values) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== "") { params.set(name, value); }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * The live feed (GET /api/stream): server-sent events read through fetch, because EventSource cannot send the
 * Authorization header. Reconnects with backoff; `onOpen` runs on every (re)connection so the caller reloads what it
 * may have missed while disconnected.
 */
export function openStream({ onEvent, onOpen, onState }) {
  const stop = new AbortController();
  let delay = 500;

  async function run() {
    while (!stop.signal.aborted) {
      try {
        onState?.("connecting");
        const response = await send("/api/stream", { signal: stop.signal });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        delay = 500;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) { break; }
          buffer += value;
          let end;
          while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
            const message = parseEvent(block);
            if (message.event === "ready") { onState?.("live"); onOpen?.(); }
            if (message.data !== null) { onEvent(message.event, message.data); }
          }
        }
      } catch (error) {
        if (stop.signal.aborted || (error instanceof ApiError && error.status === 401)) { return; }
      }
      onState?.("offline");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }

  run();
  return () => stop.abort();
}

function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(":")) { continue; }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") { event = value; }
    if (field === "data") { data.push(value); }
  }
  if (data.length === 0) { return { event, data: null }; }
  try { return { event, data: JSON.parse(data.join("\n")) }; } catch { return { event, data: null }; }
}
