import { type IncomingMessage, request } from 'node:http';
import { ErrorCode as Codes, ErrorClass, type ErrorCode, IdeaMineError } from '../core/errors.ts';

/**
 * A small HTTP client for the API over a unix socket: what the CLI uses to reach the process that owns
 * an embedded data dir. No token: the socket's file mode admits only the owner's uid, and the owner
 * serves it as the owner-local principal.
 */

export interface SocketClientOptions {
  socketPath: string;
  /** For requests that answer once (not streams): give up after this long. */
  timeoutMs?: number;
}

/** One server-sent event as read off the wire. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseStream {
  /** Resolves when the stream ends: closed by `close()`, or by the server. */
  readonly done: Promise<'closed' | 'ended'>;
  close(): void;
}

/** The socket is missing or nobody listens on it (`ENOENT`, `ECONNREFUSED`): the owner cannot be reached. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof IdeaMineError && error.details['unreachable'] === true;
}

export class SocketClient {
  readonly socketPath: string;
  readonly #timeoutMs: number;

  constructor(options: SocketClientOptions) {
    this.socketPath = options.socketPath;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  get<T>(path: string): Promise<T> {
    return this.#json<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.#json<T>('POST', path, body);
  }

  /**
   * Opens a server-sent event stream and calls `onMessage` for each event, in order. A handler that
   * throws ends the stream and rejects `done`.
   */
  async stream(path: string, onMessage: (message: SseMessage) => void): Promise<SseStream> {
    const response = await this.#send('GET', path, undefined, { accept: 'text/event-stream' }, false);
    if ((response.statusCode ?? 0) >= 400)
      throw errorFrom(response.statusCode ?? 0, await readBody(response));
    let closed = false;
    const done = new Promise<'closed' | 'ended'>((resolve, reject) => {
      const parser = createSseParser((message) => {
        try {
          onMessage(message);
        } catch (error) {
          response.destroy();
          reject(error);
        }
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser(chunk));
      response.on('close', () => resolve(closed ? 'closed' : 'ended'));
      response.on('error', () => resolve(closed ? 'closed' : 'ended'));
    });
    return {
      done,
      close: () => {
        closed = true;
        response.destroy();
      },
    };
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body, { accept: 'application/json' }, true);
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status >= 400) throw errorFrom(status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  #send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    timed: boolean,
  ): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          // A connection per request: a pooled one may belong to an owner that has since exited.
          agent: false,
          method,
          path,
          headers: {
            ...headers,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        resolve,
      );
      if (timed)
        req.setTimeout(this.#timeoutMs, () =>
          req.destroy(
            new IdeaMineError(
              Codes.storageUnavailable,
              `no answer on ${this.socketPath} within ${this.#timeoutMs} ms`,
              { errorClass: ErrorClass.transient },
            ),
          ),
        );
      req.on('error', (error) => reject(connectionError(error, this.socketPath)));
      req.end(payload);
    });
  }
}

function connectionError(error: Error, socketPath: string): IdeaMineError {
  if (error instanceof IdeaMineError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const unreachable = code === 'ENOENT' || code === 'ECONNREFUSED';
  return new IdeaMineError(Codes.storageUnavailable, `cannot reach ${socketPath}: ${error.message}`, {
    errorClass: ErrorClass.transient,
    details: { socketPath, ...(unreachable ? { unreachable: true } : {}) },
    cause: error,
  });
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
    });
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}

/** The API's error body (`{ error: { code, message, issues? } }`) back into the error it came from. */
function errorFrom(status: number, text: string): IdeaMineError {
  let parsed: { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const code = typeof parsed?.error?.code === 'string' ? parsed.error.code : Codes.internal;
  const message =
    typeof parsed?.error?.message === 'string'
      ? parsed.error.message
      : `HTTP ${status}: ${text.slice(0, 200)}`;
  return new IdeaMineError(code as ErrorCode, message, {
    errorClass: status >= 500 ? ErrorClass.transient : ErrorClass.fatal,
    details: { status, ...(parsed?.error?.issues ? { issues: parsed.error.issues } : {}) },
  });
}

/**
 * An incremental parser for the `text/event-stream` format: `field: value` lines, a blank line ends an
 * event, lines starting with `:` are comments (keep-alives). Chunks may split lines anywhere.
 */
export function createSseParser(onMessage: (message: SseMessage) => void): (chunk: string) => void {
  let buffer = '';
  let id: string | undefined;
  let event = 'message';
  let data: string[] = [];
  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onMessage({ id, event, data: data.join('\n') });
      event = 'message';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
    else if (field === 'event') event = value;
  };
  return (chunk) => {
    buffer += chunk;
    let end = buffer.search(/\r\n|\r|\n/);
    // A lone '\r' at the end may be the first half of a '\r\n' split across chunks: wait for more.
    while (end >= 0 && !(end === buffer.length - 1 && buffer.endsWith('\r'))) {
      const newline = buffer.startsWith('\r\n', end) ? 2 : 1;
      line(buffer.slice(0, end));
      buffer = buffer.slice(end + newline);
      end = buffer.search(/\r\n|\r|\n/);
    }
  };
}
