import net from 'node:net';

/**
 * A test-owned TCP proxy (127.0.0.1 only) between processes and a server, for network faults
 * without root or netem (the development VM's kernel has no netem, research/reliability.md §3).
 *
 * - `pass()`: forwards as is (the latency setting stays until `latency(0)`).
 * - `latency(ms, jitterMs)`: delays every chunk in both directions; order is kept per direction.
 * - `blackhole()`: a partition. Sockets stay open and new connections are accepted, but nothing is
 *   forwarded either way. Bytes are held, not discarded: TCP would retransmit them after a healed
 *   partition, so `pass()` delivers what was held, in order.
 * - `cutAll()`: resets every connection (RST) on both sides, like a crashed middlebox.
 */

export type ProxyMode = 'pass' | 'blackhole';

interface Pipe {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** Chunks waiting for their latency or for the partition to heal, per direction. */
  queues: { up: Delayed[]; down: Delayed[] };
  timers: { up: NodeJS.Timeout | undefined; down: NodeJS.Timeout | undefined };
  lastAt: { up: number; down: number };
  closed: boolean;
}

interface Delayed {
  at: number;
  chunk: Buffer;
}

export interface ProxyStats {
  connections: number;
  active: number;
  cut: number;
  bytesUp: number;
  bytesDown: number;
}

export class TcpProxy {
  readonly #server: net.Server;
  readonly #upstream: { host: string; port: number };
  readonly #pipes = new Set<Pipe>();
  #mode: ProxyMode = 'pass';
  #latencyMs = 0;
  #jitterMs = 0;
  #random: () => number = Math.random;
  readonly stats: ProxyStats = { connections: 0, active: 0, cut: 0, bytesUp: 0, bytesDown: 0 };

  private constructor(server: net.Server, upstream: { host: string; port: number }) {
    this.#server = server;
    this.#upstream = upstream;
    server.on('connection', (socket) => this.#accept(socket));
  }

  static async start(upstream: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer({ noDelay: true });
    const proxy = new TcpProxy(server, upstream);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** A Postgres URL through this proxy, from the direct one. */
  url(direct: string): string {
    const u = new URL(direct);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  latency(ms: number, jitterMs = 0, random: () => number = Math.random): void {
    this.#latencyMs = Math.max(0, ms);
    this.#jitterMs = Math.max(0, jitterMs);
    this.#random = random;
  }

  blackhole(): void {
    this.#mode = 'blackhole';
  }

  pass(): void {
    this.#mode = 'pass';
    for (const pipe of this.#pipes) {
      if (!pipe.upstream) this.#connectUpstream(pipe);
      this.#schedule(pipe, 'up');
      this.#schedule(pipe, 'down');
    }
  }

  cutAll(): number {
    const n = this.#pipes.size;
    for (const pipe of [...this.#pipes]) this.#close(pipe, true);
    this.stats.cut += n;
    return n;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.stats.connections++;
    this.stats.active++;
    const pipe: Pipe = {
      client,
      upstream: undefined,
      queues: { up: [], down: [] },
      timers: { up: undefined, down: undefined },
      lastAt: { up: 0, down: 0 },
      closed: false,
    };
    this.#pipes.add(pipe);
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.#enqueue(pipe, 'up', chunk));
    client.on('error', () => this.#close(pipe, false));
    client.on('close', () => this.#close(pipe, false));
    if (this.#mode === 'pass') this.#connectUpstream(pipe);
  }

  #connectUpstream(pipe: Pipe): void {
    if (pipe.closed || pipe.upstream) return;
    const upstream = net.connect({ host: this.#upstream.host, port: this.#upstream.port, noDelay: true });
    pipe.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => this.#enqueue(pipe, 'down', chunk));
    upstream.on('error', () => this.#close(pipe, false));
    upstream.on('close', () => this.#close(pipe, false));
    upstream.on('connect', () => this.#schedule(pipe, 'up'));
  }

  #enqueue(pipe: Pipe, dir: 'up' | 'down', chunk: Buffer): void {
    if (pipe.closed) return;
    const delay = this.#latencyMs + (this.#jitterMs > 0 ? this.#random() * this.#jitterMs : 0);
    // Never earlier than the chunk before it: TCP keeps order, so must a delaying proxy.
    const at = Math.max(Date.now() + delay, pipe.lastAt[dir]);
    pipe.lastAt[dir] = at;
    pipe.queues[dir].push({ at, chunk });
    this.#schedule(pipe, dir);
  }

  /** Delivers what is due in one direction, then sleeps until the next chunk is due. */
  #schedule(pipe: Pipe, dir: 'up' | 'down'): void {
    if (pipe.closed || pipe.timers[dir] !== undefined || this.#mode === 'blackhole') return;
    const queue = pipe.queues[dir];
    const target = dir === 'up' ? pipe.upstream : pipe.client;
    if (!target || target.connecting) return;
    const now = Date.now();
    while (queue.length > 0 && (queue[0] as Delayed).at <= now) {
      const { chunk } = queue.shift() as Delayed;
      if (dir === 'up') this.stats.bytesUp += chunk.length;
      else this.stats.bytesDown += chunk.length;
      target.write(chunk);
    }
    const next = queue[0];
    if (next) {
      pipe.timers[dir] = setTimeout(() => {
        pipe.timers[dir] = undefined;
        this.#schedule(pipe, dir);
      }, next.at - now);
    }
  }

  #close(pipe: Pipe, reset: boolean): void {
    if (pipe.closed) return;
    pipe.closed = true;
    this.#pipes.delete(pipe);
    this.stats.active--;
    for (const dir of ['up', 'down'] as const) clearTimeout(pipe.timers[dir]);
    for (const socket of [pipe.client, pipe.upstream]) {
      if (!socket || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
