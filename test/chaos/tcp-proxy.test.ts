import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxy } from './tcp-proxy.ts';

/** The proxy itself, against an echo server: pass, latency with order kept, blackhole then heal, cut. */

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as net.AddressInfo).port;
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port });
  closers.push(() => proxy.close());
  return proxy;
}

function connect(
  port: number,
): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () =>
      resolve({ socket, received: () => data, closed }),
    );
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (d) => {
      data += d.toString();
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

const until = async (check: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return check();
};

describe('TcpProxy', () => {
  it('passes bytes through both ways', async () => {
    const proxy = await proxyTo(await echoServer());
    const c = await connect(proxy.port);
    c.socket.write('hello');
    expect(await until(() => c.received() === 'hello')).toBe(true);
    c.socket.destroy();
  });

  it('adds latency in each direction and keeps the order of chunks', async () => {
    const proxy = await proxyTo(await echoServer());
    proxy.latency(60, 40);
    const c = await connect(proxy.port);
    const started = Date.now();
    for (let i = 0; i < 20; i++) c.socket.write(`${i},`);
    const expected = Array.from({ length: 20 }, (_, i) => `${i},`).join('');
    expect(await until(() => c.received() === expected)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115); // ≥ 60 ms up + 60 ms down
    c.socket.destroy();
  });

  it('blackhole holds traffic (and new connections) until pass, then delivers it in order', async () => {
    const proxy = await proxyTo(await echoServer());
    const c = await connect(proxy.port);
    proxy.blackhole();
    c.socket.write('held-');
    const late = await connect(proxy.port);
    late.socket.write('late');
    await new Promise((r) => setTimeout(r, 200));
    expect(c.received()).toBe('');
    expect(late.received()).toBe('');
    c.socket.write('more');
    proxy.pass();
    expect(await until(() => c.received() === 'held-more')).toBe(true);
    expect(await until(() => late.received() === 'late')).toBe(true);
    c.socket.destroy();
    late.socket.destroy();
  });

  it('cutAll resets every connection; new ones work afterwards', async () => {
    const proxy = await proxyTo(await echoServer());
    const a = await connect(proxy.port);
    const b = await connect(proxy.port);
    expect(await until(() => proxy.stats.active === 2)).toBe(true);
    expect(proxy.cutAll()).toBe(2);
    await Promise.all([a.closed, b.closed]);
    const c = await connect(proxy.port);
    c.socket.write('again');
    expect(await until(() => c.received() === 'again')).toBe(true);
    c.socket.destroy();
  });
});
