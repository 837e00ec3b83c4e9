// The dashboard's only link to IdeaMine: the HTTP API with a bearer token. The token lives in this
// tab's sessionStorage (gone when the tab closes) and travels in the Authorization header only, never
// in a URL the server would log. The event stream is read with fetch rather than EventSource because
// EventSource cannot send that header.

const TOKEN_KEY = 'ideamine.token';

/** The token this tab signed in with, or null. */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * A token handed over in the URL fragment (`/#token=im_…`): fragments never reach the server, so it
 * is in no request line or log. It is moved into sessionStorage and wiped from the address bar.
 */
export function adoptTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (!token) return;
  storeToken(token);
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

/** An API answer that was not 2xx, with the server's message (and the field issues for a 400). */
export class ApiError extends Error {
  constructor(status, body) {
    const issues = body?.error?.issues?.map((i) => `${i.field}: ${i.reason}`).join('; ');
    super(body?.error?.message ?? (issues || `HTTP ${status}`));
    this.status = status;
  }
}

function headers(extra = {}) {
  const token = storedToken();
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

async function failure(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  return new ApiError(response.status, body);
}

/** GET a JSON resource of the API. */
export async function getJson(path, signal) {
  const response = await fetch(path, { headers: headers({ accept: 'application/json' }), signal });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** POST a JSON body to the API. */
export async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/**
 * Opens an API resource that needs the token (the dossier, a report) in a new tab: fetched with the
 * header, then shown from a blob URL.
 */
export async function openResource(path) {
  const tab = window.open('', '_blank');
  try {
    const response = await fetch(path, { headers: headers() });
    if (!response.ok) throw await failure(response);
    const url = URL.createObjectURL(await response.blob());
    if (tab) tab.location.href = url;
    else window.location.href = url;
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    tab?.close();
    throw error;
  }
}

/** Parses a text/event-stream chunk by chunk: calls onMessage({ id, event, data }) per message. */
export function eventStreamParser(onMessage) {
  let buffer = '';
  let message = { data: [] };
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (message.data.length > 0) onMessage({ ...message, data: message.data.join('\n') });
        message = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') message.data.push(value);
      else if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
    }
  };
}

/**
 * Follows `/api/events` (one run's or every run's, of the given types or all) after sequence `afterSeq` (from now on when it is
 * undefined): calls onEvent with each stored event, reconnects after a drop with the last sequence
 * seen (the server replays what was missed, and a repeat is dropped here), and reports whether
 * the stream is live through onState('live' | 'reconnecting' | 'stopped'). Returns a stop function.
 */
export function followEvents({ runId, types, afterSeq, onEvent, onState }) {
  const controller = new AbortController();
  // Undefined until the first event when the caller wants only what happens from now on.
  let lastSeq = afterSeq;
  let delayMs = 500;
  const query = new URLSearchParams({
    ...(runId ? { runId } : {}),
    ...(types ? { types: types.join(',') } : {}),
  });
  const connect = async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(`/api/events?${query}`, {
          headers: headers({
            accept: 'text/event-stream',
            ...(lastSeq === undefined ? {} : { 'last-event-id': String(lastSeq) }),
          }),
          signal: controller.signal,
        });
        if (response.status === 401 || response.status === 403) throw await failure(response);
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onState('live');
        delayMs = 500;
        const parse = eventStreamParser((message) => {
          const event = JSON.parse(message.data);
          const seq = Number(message.id ?? event.seq);
          if (Number.isFinite(seq) && lastSeq !== undefined && seq <= lastSeq) return;
          if (Number.isFinite(seq)) lastSeq = seq;
          onEvent(event);
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parse(value);
        }
      } catch (error) {
        if (controller.signal.aborted) break;
        if (error instanceof ApiError) {
          onState('stopped', error);
          return;
        }
      }
      if (controller.signal.aborted) break;
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  };
  void connect();
  return () => controller.abort();
}
