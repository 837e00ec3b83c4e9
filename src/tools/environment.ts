import { dirname } from 'node:path';

/**
 * The environment a tool sees: built from nothing, never copied from ours, so API keys, DATABASE_URL
 * and tokens cannot leak into a tool (or into the program under test, which a tool starts).
 */

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function toolPath(nodePath: string): string {
  // The pinned Node first: `node` inside a tool must be the project's Node 24, not the system's.
  return [dirname(nodePath), ...SYSTEM_PATH].join(':');
}

export interface ToolEnvOptions {
  nodePath: string;
  home: string;
  tmpDir: string;
  additions?: Readonly<Record<string, string>>;
  /** Appended to NODE_OPTIONS (the heap cap), so that every Node process of the tool gets it. */
  nodeOptions?: string;
}

export function toolEnv(options: ToolEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: toolPath(options.nodePath),
    HOME: options.home,
    TMPDIR: options.tmpDir,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    ...options.additions,
  };
  if (options.nodeOptions) {
    env['NODE_OPTIONS'] = [env['NODE_OPTIONS'], options.nodeOptions].filter(Boolean).join(' ');
  }
  return env;
}
