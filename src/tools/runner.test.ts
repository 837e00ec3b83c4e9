import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolFailedError, ToolNotFoundError, ToolRefusedError } from './errors.ts';
import { runTool } from './runner.ts';
import { probeSandbox } from './sandbox.ts';
import type { Tool, ToolInvocation, ToolRecorder, ToolRefusal } from './tool.ts';

const CommandInput = z.object({
  command: z.string(),
  args: z.array(z.string()).default([]),
  timeoutMs: z.number().default(30_000),
  memoryMb: z.number().default(256),
});
const CommandOutput = z.object({
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  timedOut: z.boolean(),
  outOfMemory: z.boolean(),
});

/** A tool that runs whatever its input says: the runner is what is under test. */
const commandTool: Tool<z.infer<typeof CommandInput>, z.infer<typeof CommandOutput>> = {
  id: 'command',
  version: () => '1.0.0',
  input: CommandInput,
  output: CommandOutput,
  reports: (output) => [{ type: 'CommandResult', content: output }],
  plan: (input) => ({
    command: input.command,
    args: input.args,
    timeoutMs: input.timeoutMs,
    memoryMb: input.memoryMb,
  }),
  parse: (r) => ({
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    timedOut: r.timedOut,
    outOfMemory: r.outOfMemory,
  }),
};

function recorder(): ToolRecorder & { records: Array<[ToolInvocation, unknown]>; refusals: ToolRefusal[] } {
  const records: Array<[ToolInvocation, unknown]> = [];
  const refusals: ToolRefusal[] = [];
  return {
    records,
    refusals,
    record: async (invocation, output) => {
      records.push([invocation, output]);
    },
    refused: async (refusal) => {
      refusals.push(refusal);
    },
  };
}

const node = process.execPath;
let workspace: string;
let outside: string;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'ideamine-runner-ws-'));
  outside = await mkdtemp(join(tmpdir(), 'ideamine-runner-outside-'));
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function run(input: z.input<typeof CommandInput>, sandbox: 'auto' | 'off' = 'off') {
  const rec = recorder();
  const promise = runTool(commandTool, input, { workspace, allowlist: ['command'], recorder: rec, sandbox });
  return { rec, promise };
}

/** Processes whose command line carries `token`. */
async function processesWith(token: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(token) && Number(entry) !== process.pid) found.push(Number(entry));
  }
  return found;
}

describe('runTool', () => {
  it('refuses a tool that is not allowlisted: awaits refused() and throws, runs nothing', async () => {
    const rec = recorder();
    const attempt = runTool(
      commandTool,
      { command: 'true' },
      { workspace, allowlist: ['other'], recorder: rec },
    );
    await expect(attempt).rejects.toBeInstanceOf(ToolRefusedError);
    await expect(attempt).rejects.toMatchObject({ code: 'TOOL_REFUSED' });
    expect(rec.refusals).toEqual([
      { toolId: 'command', allowlist: ['other'], reason: 'not in the phase allowlist' },
    ]);
    expect(rec.records).toEqual([]);
  });

  it('records the invocation before returning, with hashes, limits and the unsandboxed reason', async () => {
    const { rec, promise } = run({ command: 'sh', args: ['-c', 'echo hello; echo oops >&2; exit 3'] });
    const { output, invocation } = await promise;
    expect(output).toMatchObject({ exitCode: 3, stdout: 'hello\n', stderr: 'oops\n', timedOut: false });
    expect(invocation).toMatchObject({
      tool: 'command@1.0.0',
      command: "sh -c 'echo hello; echo oops >&2; exit 3'",
      exitCode: 3,
      signal: null,
      timedOut: false,
      sandbox: { kind: 'none', reason: 'sandbox turned off by the caller (sandbox: off)' },
      limits: { timeoutMs: 30_000, memoryMb: 256, dataMb: 256 },
    });
    expect(invocation.inputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(invocation.outputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(invocation.argv[0]).toMatch(/prlimit$/);
    expect(rec.records).toEqual([[invocation, output]]);
  });

  it('names a missing executable in a typed error', async () => {
    const { promise } = run({ command: 'no-such-tool-xyz' });
    await expect(promise).rejects.toBeInstanceOf(ToolNotFoundError);
    await expect(promise).rejects.toThrow(/no-such-tool-xyz/);
  });

  it('bounds the output it keeps but hashes all of it', async () => {
    const rec = recorder();
    const { output, invocation } = await runTool(
      commandTool,
      { command: node, args: ['-e', 'process.stdout.write("a".repeat(1000000))'] },
      {
        workspace,
        allowlist: ['command'],
        recorder: rec,
        sandbox: 'off',
        outputHeadBytes: 100,
        outputTailBytes: 100,
      },
    );
    expect(output.stdout.length).toBeLessThan(400);
    expect(output.stdout).toContain('999800 bytes dropped');
    const { createHash } = await import('node:crypto');
    expect(invocation.outputHash).not.toBe(createHash('sha256').update('').digest('hex'));
  });

  it('gives the tool a scrubbed environment: no parent secrets, the pinned Node first on PATH', async () => {
    process.env['IDEAMINE_TEST_SECRET'] = 's3cret-value';
    process.env['DATABASE_URL'] = 'postgres://user:pw@host/db';
    try {
      const { promise } = run({ command: node, args: ['-e', 'console.log(JSON.stringify(process.env))'] });
      const env = JSON.parse((await promise).output.stdout) as Record<string, string>;
      expect(Object.values(env).join('\n')).not.toContain('s3cret-value');
      expect(env['DATABASE_URL']).toBeUndefined();
      expect(env['IDEAMINE_TEST_SECRET']).toBeUndefined();
      expect(env['PATH']?.split(':')[0]).toBe(dirname(node));
      expect(env['TZ']).toBe('UTC');
      expect(env['NODE_OPTIONS']).toBe('--max-old-space-size=256');
      expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'NODE_OPTIONS', 'PATH', 'TMPDIR', 'TZ']);
    } finally {
      delete process.env['IDEAMINE_TEST_SECRET'];
      delete process.env['DATABASE_URL'];
    }
  });

  it('kills a hanging tool and its children (even one that left the process group) at the time limit', async () => {
    const token = `ideamine-hang-${process.pid}-${Date.now()}`;
    const script = `
      const { spawn } = require('node:child_process');
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${token}-child'], { stdio: 'ignore' });
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${token}-detached'], { stdio: 'ignore', detached: true });
      setInterval(() => {}, 1000);`;
    const { rec, promise } = run({ command: node, args: ['-e', script, token], timeoutMs: 1_500 });
    const { output, invocation } = await promise;
    expect(output.timedOut).toBe(true);
    expect(invocation).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
    expect(rec.records).toHaveLength(1);
    await expect.poll(() => processesWith(token), { timeout: 5_000 }).toEqual([]);
  });

  it('stops a Node heap hog at its memory limit and reports it; the host is untouched', async () => {
    const hog = 'const a = []; for (;;) a.push(new Array(1e6).fill(Math.random()));';
    const { output, invocation } = await run({ command: node, args: ['-e', hog], memoryMb: 128 }).promise;
    expect(output.timedOut).toBe(false);
    expect(output.outOfMemory).toBe(true);
    expect(output.stderr).toMatch(/heap out of memory/);
    expect(output.exitCode === 0).toBe(false);
    expect(invocation).toMatchObject({
      outOfMemory: true,
      limits: { memoryMb: 128, heapMb: 128, dataMb: 128 + 1024 },
    });
  });

  it('stops a Node hog of memory outside the JS heap (Buffers) at the data limit', async () => {
    // Reports its resident size as it grows: the last line shows how far it got.
    const hog = `const a = []; for (;;) { a.push(Buffer.alloc(16 << 20, 1)); console.log(process.memoryUsage().rss >> 20); }`;
    const { output } = await run({ command: node, args: ['-e', hog], memoryMb: 128 }).promise;
    expect(output.timedOut).toBe(false);
    expect(output.outOfMemory).toBe(true);
    expect(output.exitCode).not.toBe(0);
    const lastRssMb = Number(output.stdout.trim().split('\n').at(-1));
    // memoryMb + NODE_RESERVE_MB is the writable budget; V8 takes ~575 MB of it as reservations.
    expect(lastRssMb).toBeLessThan(128 + 1024);
  });

  it('stops a native (non-Node) hog at the data limit', async () => {
    const { output } = await run({
      command: 'sh',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
      args: ['-c', 'x=$(head -c 400000000 /dev/zero | tr "\\0" a); echo survived ${#x}'],
      memoryMb: 64,
    }).promise;
    expect(output.stdout).not.toContain('survived');
    expect(output.exitCode).not.toBe(0);
  });

  it('fails with a typed error (and records it) when the output does not match the schema', async () => {
    const broken: Tool<Record<string, never>, { n: number }> = {
      id: 'command',
      version: () => '0',
      input: z.object({}),
      output: z.object({ n: z.number() }),
      plan: () => ({ command: 'true', args: [], timeoutMs: 10_000, memoryMb: 64 }),
      parse: () => ({ n: 'x' }) as unknown as { n: number },
      reports: (output) => [{ type: 'N', content: output }],
    };
    const rec = recorder();
    const attempt = runTool(broken, {}, { workspace, allowlist: ['command'], recorder: rec, sandbox: 'off' });
    await expect(attempt).rejects.toBeInstanceOf(ToolFailedError);
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0]?.[0].error).toMatch(/could not read/);
  });
});

describe('runTool in the bubblewrap sandbox', async () => {
  const sandbox = await probeSandbox();
  // CI installs bubblewrap; a developer machine without it still runs everything else.
  const inSandbox = sandbox.kind === 'bwrap' || process.env['CI'] === 'true' ? it : it.skip;

  inSandbox('records bwrap and its version', async () => {
    const { invocation } = await run({ command: 'true' }, 'auto').promise;
    expect(invocation.sandbox).toEqual({ kind: 'bwrap', version: expect.stringMatching(/^\d/) });
    expect(invocation.argv).toContain('--unshare-net');
  });

  inSandbox('has no network to services on the host loopback, but its own loopback works', async () => {
    const probe = `
      const net = require('node:net');
      const tryConnect = (port) => new Promise((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port, timeout: 3000 });
        s.on('connect', () => { s.destroy(); resolve('open'); });
        s.on('error', (e) => resolve(e.code));
        s.on('timeout', () => { s.destroy(); resolve('timeout'); });
      });
      const server = net.createServer((c) => c.end()).listen(0, '127.0.0.1', async () => {
        const own = await tryConnect(server.address().port);
        server.close();
        console.log(JSON.stringify({ pg: await tryConnect(5432), redis: await tryConnect(6379), own }));
      });`;
    const { output } = await run({ command: node, args: ['-e', probe] }, 'auto').promise;
    const result = JSON.parse(output.stdout) as Record<string, string>;
    expect(result['pg']).not.toBe('open');
    expect(result['redis']).not.toBe('open');
    expect(result['own']).toBe('open');
    // The same probe outside the sandbox reaches whatever the host runs (Postgres/Redis in CI).
    const hostOpen = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: 5432, timeout: 3000 });
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
      s.on('timeout', () => resolve(false));
    });
    if (process.env['CI'] === 'true') expect(hostOpen).toBe(true);
  });

  inSandbox('can write the workspace but nothing outside it; its /tmp is private', async () => {
    const hostDir = await mkdtemp('/var/tmp/ideamine-runner-outside-');
    const target = join(hostDir, 'escaped.txt');
    const tmpFile = join(tmpdir(), `ideamine-private-tmp-${process.pid}.txt`);
    const script = `
      const fs = require('node:fs');
      fs.writeFileSync('inside.txt', 'ok');
      const attempt = (path) => { try { fs.writeFileSync(path, 'bad'); return 'written'; } catch (e) { return e.code; } };
      console.log(JSON.stringify({ outside: attempt(${JSON.stringify(target)}), tmp: attempt(${JSON.stringify(tmpFile)}) }));`;
    try {
      const { output } = await run({ command: node, args: ['-e', script] }, 'auto').promise;
      const result = JSON.parse(output.stdout) as Record<string, string>;
      expect(await readFile(join(workspace, 'inside.txt'), 'utf8')).toBe('ok');
      expect(result['outside']).toBe('EROFS');
      await expect(readFile(target, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
      // /tmp inside is a tmpfs of its own: writable, and nothing reaches the host's /tmp.
      expect(result['tmp']).toBe('written');
      await expect(readFile(tmpFile, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(hostDir, { recursive: true, force: true });
    }
  });

  inSandbox('still kills a hanging tool tree at the time limit', async () => {
    const token = `ideamine-hang-bwrap-${process.pid}-${Date.now()}`;
    const script = `require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${token}'], { stdio: 'ignore', detached: true }); setInterval(() => {}, 1000);`;
    const { output } = await run({ command: node, args: ['-e', script, token], timeoutMs: 1_500 }, 'auto')
      .promise;
    expect(output.timedOut).toBe(true);
    await expect.poll(() => processesWith(token), { timeout: 5_000 }).toEqual([]);
  });

  inSandbox('stops a memory hog inside the sandbox too', async () => {
    const hog = 'const a = []; for (;;) a.push(new Array(1e6).fill(Math.random()));';
    const { output } = await run({ command: node, args: ['-e', hog], memoryMb: 128 }, 'auto').promise;
    expect(output.outOfMemory).toBe(true);
  });
});
