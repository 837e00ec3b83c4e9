import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { METRICS_CONTENT_TYPE, type Metrics, metricsText } from './metrics.ts';

/**
 * A bare `GET /metrics` endpoint on loopback for processes without the HTTP API (`ideamine worker
 * --metrics-port`). Loopback only: the metrics name runs and phases, and this server has no auth;
 * put a proxy in front to scrape from elsewhere.
 */

export interface MetricsServer {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function serveMetrics(
  metrics: Pick<Metrics, 'registry'>,
  options: { port: number; host?: string; onError?: (error: unknown) => void },
): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('not found: try GET /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    metricsText(metrics).then(
      (body) => {
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        options.onError?.(error);
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  await listen(server, options.port, host);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new IdeaMineError(ErrorCode.invalidInput, `metrics port ${port} on ${host} is already in use`)
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
}
