// Runs inside one sandboxed invocation (no network; the workspace read-only). Copies the tracked files
// of the worktree and every other blob of the git history into the scratch dir, runs secretlint and
// the entropy rule over the copies, and writes `secret-scan.json` with masked findings only.
// Nothing this driver prints may contain a secret: secretlint writes to a file here, never to stdout.
// argv: <scratch dir> <json: { workspace, secretlintBin, presetId }>
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { maskSecret } from '../../core/schemas/security-reports.ts';
import { ENTROPY_RULE, highEntropyAssignments } from './secret-entropy.ts';

const execFileAsync = promisify(execFile);
const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const resultFile = join(scratch, 'secret-scan.json');
const scanRoot = join(scratch, 'scan');
/** Files per secretlint invocation: keeps argv far below the kernel's limit. */
const BATCH = 400;

// --- git (read-only; a workspace's config must not run anything: no fsmonitor, no pager) ---

const GIT_SAFETY = ['-c', 'core.fsmonitor=false', '-c', 'core.quotePath=false', '-c', 'core.pager=cat'];

async function git(args) {
  const { stdout } = await execFileAsync('git', [...GIT_SAFETY, '-C', spec.workspace, ...args], {
    encoding: 'buffer',
    maxBuffer: 1 << 30,
  });
  return stdout;
}

/** Runs git with `input` on stdin; resolves with stdout as a Buffer. */
function gitWithInput(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...GIT_SAFETY, '-C', spec.workspace, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      if (err.length < 8192) err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`git ${args[0]} failed (${code}): ${err}`)),
    );
    child.stdin.end(input);
  });
}

/** The id git gives a blob with these bytes (no clean filters: the bytes as they are). */
function blobId(bytes, format) {
  return createHash(format === 'sha256' ? 'sha256' : 'sha1')
    .update(`blob ${bytes.length}\0`)
    .update(bytes)
    .digest('hex');
}

/** `git cat-file --batch` output → Map(oid → bytes). */
function parseBatch(buffer) {
  const blobs = new Map();
  let at = 0;
  while (at < buffer.length) {
    const eol = buffer.indexOf(0x0a, at);
    const [oid, type, size] = buffer.subarray(at, eol).toString('utf8').split(' ');
    if (type === 'missing' || size === undefined) throw new Error(`git cat-file: object ${oid} is missing`);
    const start = eol + 1;
    blobs.set(oid, buffer.subarray(start, start + Number(size)));
    at = start + Number(size) + 1;
  }
  return blobs;
}

// --- what is scanned ---

/**
 * secretlint honours `secretlint-disable` comments (its filter-comments rule, which a preset cannot
 * switch off): a scanned copy has them defused, byte for byte the same length so that offsets,
 * lines and columns stay those of the original.
 */
function defuseDirectives(bytes) {
  const text = bytes.toString('latin1');
  return text.includes('secretlint-')
    ? Buffer.from(text.replaceAll('secretlint-', 'secretlint_'), 'latin1')
    : bytes;
}

function writeCopy(path, bytes) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, defuseDirectives(bytes));
}

async function worktreeEntries(format) {
  const listed = (await git(['ls-files', '-z'])).toString('utf8').split('\0').filter(Boolean);
  const entries = [];
  const ids = new Set();
  for (const file of new Set(listed)) {
    const path = join(spec.workspace, file);
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      continue; // Deleted from the worktree but still in the index: nothing on disk to scan.
    }
    // Symlinks (which may point outside the workspace) and submodules are not files of the worktree.
    if (!stat.isFile()) continue;
    const bytes = readFileSync(path);
    ids.add(blobId(bytes, format));
    const copy = join(scanRoot, 'worktree', file);
    writeCopy(copy, bytes);
    entries.push({ copy, file, source: 'worktree', bytes });
  }
  return { entries, ids };
}

async function historyEntries(worktreeIds) {
  const objects = (await git(['rev-list', '--all', '--objects'])).toString('utf8').split('\n');
  const pathOf = new Map();
  for (const line of objects) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    if (space < 0) continue; // A commit (no path); the root tree has an empty path and is no blob.
    const oid = line.slice(0, space);
    if (!pathOf.has(oid)) pathOf.set(oid, line.slice(space + 1));
  }
  const candidates = [...pathOf.keys()].filter((oid) => !worktreeIds.has(oid));
  if (candidates.length === 0) return [];
  const checked = (await gitWithInput(['cat-file', '--batch-check'], `${candidates.join('\n')}\n`))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '));
  const blobs = checked.filter(([, type]) => type === 'blob').map(([oid]) => oid);
  if (blobs.length === 0) return [];
  const contents = parseBatch(await gitWithInput(['cat-file', '--batch'], `${blobs.join('\n')}\n`));
  return blobs.map((oid) => {
    const file = pathOf.get(oid);
    const bytes = contents.get(oid);
    const copy = join(scanRoot, 'history', oid, file);
    writeCopy(copy, bytes);
    return { copy, file, source: 'history', blob: oid, bytes };
  });
}

// --- secretlint ---

function runSecretlint(paths, outFile, rcFile, ignoreFile) {
  const args = [
    spec.secretlintBin,
    '--secretlintrc',
    rcFile,
    '--secretlintignore',
    ignoreFile,
    '--format',
    'json',
    '--output',
    outFile,
    '--no-glob',
    '--no-gitignore',
    '--no-color',
    // Unmasked into a private file, so that this driver can mask them its own way (and find where
    // each secret starts); the file is deleted as soon as it is read.
    '--no-maskSecrets',
    ...paths,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: scanRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-8192);
    });
    child.on('error', (error) => resolve({ code: 127, stderr: String(error) }));
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stderr }));
  });
}

async function secretlintMessages(entries) {
  const rcFile = join(scratch, 'secretlintrc.json');
  const ignoreFile = join(scratch, 'secretlintignore');
  // The AWS rule scans access key ids (AKIA…) only with enableIDScanRule, which is off by default.
  const aws = { id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } };
  writeFileSync(rcFile, JSON.stringify({ rules: [{ id: spec.presetId, rules: [aws] }] }));
  writeFileSync(ignoreFile, '');
  const byCopy = new Map(entries.map((e) => [relative(scanRoot, e.copy), e]));
  const messages = [];
  for (let i = 0; i < entries.length; i += BATCH) {
    const batch = entries.slice(i, i + BATCH);
    const outFile = join(scratch, `secretlint-${i}.json`);
    const run = await runSecretlint(
      batch.map((e) => relative(scanRoot, e.copy)),
      outFile,
      rcFile,
      ignoreFile,
    );
    let results;
    try {
      results = JSON.parse(readFileSync(outFile, 'utf8'));
    } catch {
      throw new Error(
        `secretlint wrote no result (exit code ${run.code}${run.signal ? `, signal ${run.signal}` : ''}): ${run.stderr.trim()}`,
      );
    } finally {
      rmSync(outFile, { force: true });
    }
    // With --output, secretlint exits 0 with or without findings; anything else is a failure.
    if (run.code !== 0 && run.code !== 1)
      throw new Error(`secretlint failed (exit code ${run.code}): ${run.stderr.trim()}`);
    const seen = new Set();
    for (const result of results) {
      const entry = byCopy.get(relative(scanRoot, result.filePath));
      if (entry === undefined) throw new Error('secretlint reported a file it was not given');
      seen.add(entry.copy);
      for (const message of result.messages ?? []) messages.push({ entry, message });
    }
    const missed = batch.filter((e) => !seen.has(e.copy));
    if (missed.length > 0) {
      throw new Error(`secretlint did not scan ${missed.length} file(s), e.g. ${missed[0].file}`);
    }
  }
  return messages;
}

// --- findings ---

function position(text, index) {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

/** The secret a secretlint message is about, and where it starts (its `range` may start earlier). */
function locateSecret(text, message) {
  const [start, end] = message.range ?? [0, 0];
  // The data values that occur in the file are what the message may repeat of it: all get masked.
  const values = Object.values(message.data ?? {})
    .filter((v) => typeof v === 'string' && v.length > 0 && text.includes(v))
    .sort((a, b) => b.length - a.length);
  for (const value of values) {
    const index = text.indexOf(value, start);
    return { secret: value, index: index === -1 ? text.indexOf(value) : index, values };
  }
  return { secret: text.slice(start, end), index: start, values };
}

function maskText(text, secrets) {
  let masked = text;
  for (const secret of secrets)
    if (secret.length >= 4) masked = masked.split(secret).join(maskSecret(secret));
  return masked;
}

function fingerprint(secret) {
  return createHash('sha256').update(secret).digest('hex');
}

async function scan() {
  const format = (await git(['rev-parse', '--show-object-format'])).toString('utf8').trim();
  const gitVersion = (await execFileAsync('git', ['--version'])).stdout.trim().replace(/^git version /, '');
  const worktree = await worktreeEntries(format);
  const history = await historyEntries(worktree.ids);
  const entries = [...worktree.entries, ...history];
  const raw = [];
  const spans = new Map();
  for (const { entry, message } of await secretlintMessages(entries)) {
    const text = entry.bytes.toString('utf8');
    const { secret, index, values } = locateSecret(text, message);
    const list = spans.get(entry.copy) ?? [];
    list.push([index, index + secret.length]);
    spans.set(entry.copy, list);
    raw.push({
      entry,
      rule: message.ruleId ?? 'secretlint',
      secret,
      index,
      message: maskText(message.message ?? '', [secret, ...values]),
    });
  }
  for (const entry of entries) {
    // git's own test for binary content: a NUL byte in the first 8,000 bytes.
    if (entry.bytes.subarray(0, 8000).includes(0)) continue;
    const text = entry.bytes.toString('utf8');
    for (const hit of highEntropyAssignments(text)) {
      const end = hit.index + hit.value.length;
      const covered = (spans.get(entry.copy) ?? []).some(([s, e]) => hit.index < e && s < end);
      if (covered) continue; // secretlint already reported this secret
      raw.push({
        entry,
        rule: ENTROPY_RULE,
        secret: hit.value,
        index: hit.index,
        message: `high-entropy literal (${hit.entropy.toFixed(2)} bits/char, ${hit.value.length} chars) assigned to "${hit.name}"`,
      });
    }
  }
  return {
    gitVersion,
    findings: await toFindings(raw),
    scanned: { files: worktree.entries.length, historyBlobs: history.length },
  };
}

/**
 * Worktree hits as they are; a history hit only when its secret is not in the worktree, once per
 * secret, at the earliest commit that introduced a blob holding it.
 */
async function toFindings(raw) {
  const inWorktree = new Set(
    raw.filter((r) => r.entry.source === 'worktree').map((r) => fingerprint(r.secret)),
  );
  const rank = new Map(
    (await git(['rev-list', '--all', '--topo-order', '--reverse']))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((commit, i) => [commit, i]),
  );
  const introducedBy = new Map();
  const commitOf = async (blob) => {
    if (!introducedBy.has(blob)) {
      const log = await git(['log', '--all', '--reverse', '--format=%H', `--find-object=${blob}`]);
      introducedBy.set(blob, log.toString('utf8').split('\n').find(Boolean));
    }
    return introducedBy.get(blob);
  };
  const findings = [];
  const historyBySecret = new Map();
  for (const r of raw) {
    const text = r.entry.bytes.toString('utf8');
    const finding = {
      rule: r.rule,
      file: r.entry.file,
      ...position(text, r.index),
      masked: maskSecret(r.secret),
      source: r.entry.source,
      message: r.message,
    };
    if (r.entry.source === 'worktree') {
      findings.push(finding);
      continue;
    }
    const key = fingerprint(r.secret);
    if (inWorktree.has(key)) continue;
    const commit = await commitOf(r.entry.blob);
    const order =
      commit === undefined ? Number.MAX_SAFE_INTEGER : (rank.get(commit) ?? Number.MAX_SAFE_INTEGER);
    const known = historyBySecret.get(key);
    if (known === undefined || order < known.order) {
      historyBySecret.set(key, { order, finding: { ...finding, ...(commit ? { commit } : {}) } });
    }
  }
  const history = [...historyBySecret.values()].map((h) => h.finding);
  const byPlace = (a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.column ?? 0) - (b.column ?? 0);
  return [...findings.sort(byPlace), ...history.sort(byPlace)];
}

let exitCode = 0;
try {
  writeFileSync(resultFile, JSON.stringify(await scan()));
} catch (error) {
  // Messages here come from git and secretlint failures, never from a file's content.
  process.stderr.write(`${String(error?.message ?? error)}\n`);
  writeFileSync(resultFile, JSON.stringify({ error: String(error?.message ?? error) }));
  exitCode = 1;
} finally {
  rmSync(scanRoot, { recursive: true, force: true });
}
process.exit(exitCode);
