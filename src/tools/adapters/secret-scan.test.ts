import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretScan } from '../../core/schemas/security-reports.ts';
import { maskSecret } from '../../core/schemas/security-reports.ts';
import { ToolFailedError } from '../errors.ts';
import { runTool } from '../runner.ts';
import { probeSandbox } from '../sandbox.ts';
import type { ProcessResult, Tool } from '../tool.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';
import { commit, git, gitWorkspace } from './git-fixtures.test-support.ts';
import { highEntropyAssignments, shannonEntropy } from './secret-entropy.ts';
import { type SecretScanInput, secretScan } from './secret-scan.ts';

/**
 * Real secretlint and git on real repositories. The secrets are fakes made at run time (this file
 * holds none a scanner would flag), and assertions compare booleans or masks, so that a failing
 * test prints no secret either.
 */

const sandbox = await probeSandbox();
const sandboxed = sandbox.kind === 'bwrap' || process.env['CI'] === 'true';
const TIMEOUT = 120_000;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomChars(n: number, alphabet: string): string {
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** `n` random letters and digits, with an upper-case letter, a lower-case letter and a digit. */
function fake(n: number): string {
  for (;;) {
    const value = randomChars(n, B64);
    if (/[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value)) return value;
  }
}

/** An AWS secret access key's shape: 40 characters, ending in an alphanumeric (the rule wants a word boundary). */
const awsSecretKey = (): string => `${randomChars(30, `${B64}/+`)}${fake(10)}`;
const awsKeyId = (): string => `AKIA${randomChars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;

/** Runs the real tool; keeps the process result the runner gave `parse` (its bounded stdout and stderr). */
async function scan(dir: string, input: Partial<SecretScanInput> = {}) {
  const results: ProcessResult[] = [];
  const spied: Tool<SecretScanInput, SecretScan> = {
    ...secretScan,
    parse: (result, i, ctx) => {
      results.push(result);
      return secretScan.parse(result, i, ctx);
    },
  };
  const recorder = collectingRecorder();
  const run = await runTool(spied, input, { workspace: dir, allowlist: ['secret-scan'], recorder });
  if (sandboxed) expect(run.invocation.sandbox.kind).toBe('bwrap');
  expect(recorder.invocations).toEqual([run.invocation]);
  const everything = JSON.stringify({ output: run.output, invocations: recorder.invocations, results });
  return { report: run.output, invocation: run.invocation, everything };
}

function lineOf(text: string, needle: string): { line: number; column: number } {
  const index = text.indexOf(needle);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

describe('secret-scan', () => {
  it(
    'finds an AWS secret key in src/config.js with file, line and column, and shows it only masked',
    async () => {
      const secret = awsSecretKey();
      const awsKeyIdValue = awsKeyId();
      const config = `export const config = {
  region: 'us-east-1',
  accessKeyId: '${awsKeyIdValue}',
  aws_secret_access_key: '${secret}',
};
`;
      const { dir } = await gitWorkspace({
        'package.json': '{"name":"app","version":"1.0.0","type":"module"}\n',
        'src/config.js': config,
        'src/app.js': "import { config } from './config.js';\nexport const region = config.region;\n",
      });
      dirs.push(dir);
      const { report, everything } = await scan(dir, { commit: 'abc123' });

      expect(report.tool).toBe(`secret-scan@${report.versions['secretlint']}`);
      expect(report.versions).toMatchObject({
        secretlint: '13.0.6',
        '@secretlint/secretlint-rule-preset-recommend': '13.1.0',
      });
      expect(report.commit).toBe('abc123');
      expect(report.scanned).toEqual({ files: 3, historyBlobs: 0 });
      // The key id and the secret key, each once: secretlint's, not repeated by the entropy rule that
      // also matches the literal. Key ids need the AWS rule's enableIDScanRule, which the driver turns on.
      const keyId = awsKeyIdValue;
      expect(report.findings).toEqual([
        {
          rule: '@secretlint/secretlint-rule-aws',
          file: 'src/config.js',
          ...lineOf(config, keyId),
          masked: 'AKIA…(20 chars)',
          source: 'worktree',
          message: 'found AWS Access Key ID: AKIA…(20 chars)',
        },
        {
          rule: '@secretlint/secretlint-rule-aws',
          file: 'src/config.js',
          ...lineOf(config, secret),
          masked: `${secret.slice(0, 4)}…(40 chars)`,
          source: 'worktree',
          message: `found AWS Secret Access Key: ${secret.slice(0, 4)}…(40 chars)`,
        },
      ]);
      expect(everything.includes(keyId)).toBe(false);
      expect(everything.includes(secret)).toBe(false);
      expect(everything.includes(secret.slice(4))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'finds a secret that was committed and deleted later in the history, at the commit that added it',
    async () => {
      const token = `ghp_${fake(36)}`;
      const settings = `// Settings\nexport const github = {\n  owner: 'acme',\n  token: '${token}',\n};\n`;
      const { dir } = await gitWorkspace({ 'README.md': '# app\n' });
      dirs.push(dir);
      const added = await commit(dir, 'add settings', { 'src/settings.js': settings });
      // Still there after an unrelated edit (a second blob holding it), then deleted.
      await commit(dir, 'rename owner', { 'src/settings.js': settings.replace("'acme'", "'acme-inc'") });
      await commit(dir, 'remove settings', {}, ['src/settings.js']);
      const { report, everything } = await scan(dir);

      expect(report.scanned).toEqual({ files: 1, historyBlobs: 2 });
      expect(report.findings).toEqual([
        {
          rule: '@secretlint/secretlint-rule-github',
          file: 'src/settings.js',
          ...lineOf(settings, token),
          masked: maskSecret(token),
          source: 'history',
          commit: added,
          message: expect.any(String),
        },
      ]);
      expect(report.findings[0]!.masked).toBe('ghp_…(40 chars)');
      expect(everything.includes(token)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'reports a secret once, in the worktree, when older blobs hold it too; history is for the rest',
    async () => {
      const key = awsSecretKey();
      const file = `const aws_secret_access_key = '${key}';\nexport default aws_secret_access_key;\n`;
      const { dir } = await gitWorkspace({ 'src/keys.js': `// keys\n${file}` });
      dirs.push(dir);
      await commit(dir, 'drop the comment', { 'src/keys.js': file });
      const { report } = await scan(dir);
      expect(report.scanned).toEqual({ files: 1, historyBlobs: 1 });
      expect(report.findings.map((f) => [f.source, f.file, f.line])).toEqual([
        ['worktree', 'src/keys.js', 1],
      ]);
    },
    TIMEOUT,
  );

  it(
    'flags a high-entropy literal assigned to a secret-named variable, and ignores secretlint-disable comments',
    async () => {
      const signing = fake(32);
      const stripe = `sk_live_${fake(24)}`;
      const session = `export const cookieName = 'sid';\nexport const signingSecret = '${signing}';\n`;
      const billing = `export const billing = { key: '${stripe}' }; // secretlint-disable-line\n`;
      const { dir } = await gitWorkspace({ 'src/session.js': session, 'src/billing.js': billing });
      dirs.push(dir);
      const { report, everything } = await scan(dir);
      expect(report.findings.map((f) => [f.rule, f.file, f.line, f.column, f.masked])).toEqual([
        ['@secretlint/secretlint-rule-stripe', 'src/billing.js', 1, 32, maskSecret(stripe)],
        ['ideamine/high-entropy-assignment', 'src/session.js', 2, 31, maskSecret(signing)],
      ]);
      expect(lineOf(billing, stripe)).toEqual({ line: 1, column: 32 });
      expect(lineOf(session, signing)).toEqual({ line: 2, column: 31 });
      expect(report.findings[1]!.message).toMatch(/^high-entropy literal \(\d\.\d\d bits\/char, 32 chars\)/);
      expect(everything.includes(signing) || everything.includes(stripe)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'reports nothing for a clean workspace, and counts what it scanned',
    async () => {
      const { dir } = await gitWorkspace({
        'package.json': '{"name":"clean","version":"0.1.0","type":"module"}\n',
        'src/app.js': "export const greeting = 'hello';\n",
        'test/app.test.js': "import { greeting } from '../src/app.js';\nconsole.log(greeting);\n",
        'public/logo.bin': '\u0000\u0001binary',
      });
      dirs.push(dir);
      await commit(dir, 'greet', { 'src/app.js': "export const greeting = 'hello, world';\n" });
      const { report } = await scan(dir);
      expect(report.findings).toEqual([]);
      expect(report.scanned).toEqual({ files: 4, historyBlobs: 1 });
    },
    TIMEOUT,
  );

  it(
    'fails with the reason, never an empty report, when the workspace is not a git repository',
    async () => {
      const dir = await writeProject({ 'src/app.js': 'export {};\n' });
      dirs.push(dir);
      const error = await scan(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect((error as Error).message).toMatch(/the secret scan failed: .*not a git repository/s);
    },
    TIMEOUT,
  );

  it(
    'fails when the scan times out',
    async () => {
      const { dir } = await gitWorkspace({ 'src/app.js': 'export {};\n' });
      dirs.push(dir);
      const error = await scan(dir, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect((error as Error).message).toMatch(/timed out/);
    },
    TIMEOUT,
  );

  it(
    'leaves the workspace as it was',
    async () => {
      const { dir } = await gitWorkspace({ 'src/app.js': 'export {};\n' });
      dirs.push(dir);
      const before = git(dir, ['status', '--porcelain', '--ignored']);
      await scan(dir);
      expect(git(dir, ['status', '--porcelain', '--ignored'])).toBe(before);
    },
    TIMEOUT,
  );
});

describe('the high-entropy assignment rule', () => {
  it('flags generated-looking values assigned to secret names, wherever they are quoted', () => {
    const key = fake(40);
    const hex = randomBytes(20).toString('hex');
    const text = [
      `const apiKey = '${key}';`,
      `config["client_secret"] = "${key}";`,
      `headers['x-api-token'] = \`${key}\`;`,
      `export const SESSION_SECRET = '${hex}';`,
      `{ "password": "${key}" }`,
    ].join('\n');
    expect(highEntropyAssignments(text).map((h) => h.name)).toEqual([
      'apiKey',
      'client_secret',
      'x-api-token',
      'SESSION_SECRET',
      'password',
    ]);
    const [first] = highEntropyAssignments(text);
    expect(text.slice(first!.index, first!.index + 40) === key).toBe(true);
  });

  it('leaves ids, names, words, placeholders and short or low-entropy values alone', () => {
    const text = [
      `const key = 'TIME_24_WITH_SECONDS_AND_MORE';`, // an identifier, single case
      `const password = 'my-super-secret-password-123';`, // words: 3.82 bits/char
      `const token = '00000000-0000-4000-8000-000000000001';`, // a fixed uuid
      `const apiKey = 'AKIAIOSFODNN7EXAMPLEKEY1234';`, // a placeholder
      `const id = '${fake(40)}';`, // not a secret name
      `const secretKey = '${fake(12)}';`, // too short
      `const authToken = 'aaaaaaaaaaBBBBBBBBBB1111111111';`, // low entropy
      `if (token === '${fake(32)}') {}`, // a comparison, not an assignment
    ].join('\n');
    expect(highEntropyAssignments(text)).toEqual([]);
  });

  it('computes Shannon entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBe(1);
    expect(shannonEntropy('abcdefgh')).toBe(3);
  });

  it('masks to at most four characters, fewer for short secrets', () => {
    expect(maskSecret('abcdefghijklmnopqrst')).toBe('abcd…(20 chars)');
    expect(maskSecret('hunter2!')).toBe('hu…(8 chars)');
    expect(maskSecret('abc')).toBe('…(3 chars)');
    expect(maskSecret('-----BEGIN\nPRIVATE KEY')).toBe('----…(22 chars)');
    expect(maskSecret('a\nb\tcdefghijklmnop')).toBe('a b …(18 chars)');
  });
});
