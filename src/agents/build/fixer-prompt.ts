import { z } from 'zod';
import type { AgentInput, ArtifactView } from '../../core/agent.ts';
import { collapseWhitespace } from '../shared/text.ts';

/**
 * The prompt a fixer sends to a real model. The generic prompt (shared/prompt.ts) shows each
 * upstream artifact as JSON cut at 6,000 characters, which would hide what a fixer needs most: a
 * test report lists every passing case before its failures, and a workspace is hundreds of
 * kilobytes. So a fixer's prompt is built from the parts:
 *   1. the failing tests of the previous attempt, each with its name, file and message as the tool
 *      reported them, and the files that did not parse with the parser's message;
 *   2. the workspace files, those the failures name first, then sources, then tests, within a size
 *      budget (the rest listed by path);
 *   3. the specification (stories, API, data model) as bounded JSON excerpts.
 * Nothing secret goes in: `.env` files and key files are left out, secret-shaped literals redacted.
 */

/** Failures shown in full; more are listed by name only. */
const MAX_FAILURES = 30;
const MAX_MESSAGE_CHARS = 2_000;
/** About 40k tokens of code: room for a small service and its tests, bounded for local models. */
const MAX_WORKSPACE_CHARS = 160_000;
const MAX_FILE_CHARS = 40_000;
const MAX_SPEC_CHARS = 3_000;
/** Files left out are listed by path, up to this many. */
const MAX_SKIPPED_LISTED = 100;

export interface FixerPromptSpec {
  reportType: 'TestReport' | 'AcceptanceRun';
  produces: string;
  reads: readonly string[];
  task: string;
  rules: readonly string[];
}

const Report = z
  .object({
    tool: z.string().optional(),
    passed: z.number().optional(),
    failed: z.number().optional(),
    total: z.number().optional(),
    cases: z
      .array(
        z
          .object({
            name: z.string(),
            status: z.string(),
            file: z.string().optional(),
            message: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
    failures: z
      .array(z.object({ name: z.string(), message: z.string(), file: z.string().optional() }).loose())
      .default([]),
    parseErrors: z
      .array(z.object({ file: z.string(), line: z.number().optional(), message: z.string() }).loose())
      .default([]),
    baseUrl: z.string().nullable().optional(),
    startError: z.string().optional(),
  })
  .loose();
type Report = z.infer<typeof Report>;

const Files = z.object({ files: z.array(z.object({ path: z.string(), content: z.string() })) }).loose();
type File = { path: string; content: string };

/** Provider keys, cloud keys, tokens and private keys, wherever they appear. */
const SECRET_SHAPES: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
];
/** A quoted literal assigned to a secret-named key: `apiKey: "…"`, `PASSWORD = '…'`. */
const SECRET_ASSIGNMENT =
  /\b([A-Za-z_]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)[A-Za-z_]*["']?\s*[:=]\s*)(["'`])([^"'`\s]{12,})\2/gi;

export function redactSecrets(text: string): string {
  let out = text;
  for (const shape of SECRET_SHAPES) out = out.replace(shape, '[redacted]');
  return out.replace(
    SECRET_ASSIGNMENT,
    (_, key: string, quote: string) => `${key}${quote}[redacted]${quote}`,
  );
}

/** Files never shown to a model: environment files (but their `.example`), keys, lock files. */
function isPrivate(path: string): boolean {
  const name = path.split('/').at(-1) ?? path;
  if (/^\.env(\..+)?$/.test(name) && !name.endsWith('.example')) return true;
  return /\.(pem|key|p12|pfx|keystore)$/i.test(name) || /^id_(rsa|dsa|ecdsa|ed25519)$/.test(name);
}

const isLockFile = (path: string) => /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml)$/.test(path);

function header(view: ArtifactView): string {
  return `${view.type} "${view.name}" (phase ${view.phase}, id ${view.id})`;
}

function bounded(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}\n... (${text.length - max} more characters elided)`
    : text;
}

function fence(text: string, lang = 'text'): string[] {
  // A longer fence than any backtick run inside, so a file that contains ``` stays one block.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return [`${ticks}${lang}`, text, ticks];
}

function latest(input: AgentInput, type: string): ArtifactView | undefined {
  return input.artifacts[type]?.at(-1);
}

/** Failures first, then cases that did not pass and have no failure entry. */
function failingSection(view: ArtifactView | undefined, report: Report | undefined): string[] {
  if (!view || !report)
    return ['None: there is no test report of a previous attempt. With nothing failing, return no files.'];
  const lines = [
    `From ${header(view)}${report.tool ? `, run by ${report.tool}` : ''}: ` +
      `${report.passed ?? 0}/${report.total ?? 0} tests passed, ${report.failed ?? 0} failed, ` +
      `${report.parseErrors.length} file(s) did not parse.`,
  ];
  if (report.startError)
    lines.push(
      '',
      'The app did not start:',
      ...fence(bounded(redactSecrets(report.startError), MAX_MESSAGE_CHARS)),
    );
  const failed = new Map<string, { status: string; file?: string; message: string }>();
  for (const f of report.failures)
    failed.set(f.name, { status: 'failed', ...(f.file ? { file: f.file } : {}), message: f.message });
  for (const c of report.cases) {
    if (c.status === 'passed' || failed.has(c.name)) continue;
    failed.set(c.name, { status: c.status, ...(c.file ? { file: c.file } : {}), message: c.message ?? '' });
  }
  const entries = [...failed];
  for (const [name, f] of entries.slice(0, MAX_FAILURES)) {
    lines.push('', `### ${f.status.toUpperCase()}: ${name}`);
    if (f.file) lines.push(`File: ${f.file}`);
    if (f.message.trim() !== '')
      lines.push(...fence(bounded(redactSecrets(f.message.trim()), MAX_MESSAGE_CHARS)));
  }
  if (entries.length > MAX_FAILURES)
    lines.push(
      '',
      `Also not passing: ${entries
        .slice(MAX_FAILURES)
        .map(([n]) => n)
        .join('; ')}`,
    );
  for (const e of report.parseErrors) {
    lines.push('', `### PARSE ERROR: ${e.file}${e.line === undefined ? '' : `:${e.line}`}`);
    lines.push(...fence(bounded(redactSecrets(e.message.trim()), MAX_MESSAGE_CHARS)));
  }
  if (entries.length === 0 && report.parseErrors.length === 0 && !report.startError)
    lines.push('', 'Nothing failed: return no files.');
  return lines;
}

/** Named by a failure (its file, a stack frame, a parse error) → 0; sources → 1; tests → 2; rest → 3. */
function rank(path: string, evidence: string): number {
  if (evidence.includes(path)) return 0;
  if (/^(src|lib|app|bin)\//.test(path) || /^(server|index|main)\.[cm]?[jt]s$/.test(path)) return 1;
  if (/^tests?\//.test(path) || /\.test\.[cm]?[jt]s$/.test(path)) return 2;
  return 3;
}

function workspaceSection(view: ArtifactView | undefined, evidence: string): string[] {
  const parsed = Files.safeParse(view?.content);
  if (!view || !parsed.success) return ['None: the workspace was not provided.'];
  const files: File[] = parsed.data.files.filter((f) => !isPrivate(f.path));
  const ordered = [...files].sort(
    (a, b) =>
      rank(a.path, evidence) - rank(b.path, evidence) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
  const lines = [
    `${header(view)}: ${files.length} files, as committed. Paths are relative to the repository root.`,
  ];
  const skipped: string[] = [];
  let budget = MAX_WORKSPACE_CHARS;
  for (const f of ordered) {
    if (isLockFile(f.path) || f.content.length > MAX_FILE_CHARS || f.content.length > budget) {
      skipped.push(`${f.path} (${f.content.length} characters)`);
      continue;
    }
    budget -= f.content.length;
    const ext = /\.([a-z0-9]+)$/i.exec(f.path)?.[1] ?? 'text';
    lines.push('', `### ${f.path}`, ...fence(redactSecrets(f.content), ext));
  }
  if (skipped.length > 0) {
    const listed = skipped.slice(0, MAX_SKIPPED_LISTED).join(', ');
    const more =
      skipped.length > MAX_SKIPPED_LISTED ? `, and ${skipped.length - MAX_SKIPPED_LISTED} more` : '';
    lines.push('', `Not shown (size limit of this prompt): ${listed}${more}`);
  }
  return lines;
}

function specSection(input: AgentInput, types: readonly string[]): string[] {
  const lines: string[] = [];
  for (const type of types) {
    for (const view of input.artifacts[type] ?? []) {
      const json = JSON.stringify(view.content, null, 2) ?? 'null';
      lines.push('', `### ${header(view)}`, ...fence(bounded(json, MAX_SPEC_CHARS), 'json'));
    }
  }
  return lines.length > 0 ? lines : ['None available.'];
}

export function renderFixerPrompt(input: AgentInput, spec: FixerPromptSpec): string {
  const reportView = latest(input, spec.reportType);
  const parsed = Report.safeParse(reportView?.content);
  const report = parsed.success ? parsed.data : undefined;
  const evidence = report
    ? [
        ...report.failures.flatMap((f) => [f.file ?? '', f.message]),
        ...report.cases.filter((c) => c.status !== 'passed').flatMap((c) => [c.file ?? '', c.message ?? '']),
        ...report.parseErrors.map((e) => e.file),
        report.startError ?? '',
      ].join('\n')
    : '';
  const lines = [
    `Run ${input.runId}, phase ${input.phase}, attempt ${input.attempt}.`,
    '',
    '## Task',
    spec.task,
    '',
    '## Idea',
    `Title: ${collapseWhitespace(input.idea.title)}`,
    `Description: ${collapseWhitespace(input.idea.description)}`,
    '',
    '## Failing tests of the previous gate attempt',
    ...failingSection(reportView, report),
    '',
    '## Workspace files',
    ...workspaceSection(latest(input, 'WorkspaceSnapshot'), evidence),
    '',
    '## Specification',
    ...specSection(
      input,
      spec.reads.filter((t) => t !== spec.reportType && t !== 'WorkspaceSnapshot'),
    ),
  ];
  if (input.hints.length > 0)
    lines.push(
      '',
      '## Fix hints from the failed gate (address every one)',
      ...input.hints.map((h) => `- ${h}`),
    );
  lines.push(
    '',
    '## Output',
    `Return one JSON object: the \`${spec.produces}\` artifact, matching the output schema exactly.`,
    ...spec.rules.map((r) => `- ${r}`),
    '- A value shown as [redacted] was removed from this prompt: never return a file that contains it.',
  );
  return lines.join('\n');
}
