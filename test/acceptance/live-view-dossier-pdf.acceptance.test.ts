import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHASE_NAMES } from '../../src/core/phases.ts';
import { BIN, ROOT, runCli } from '../support/cli.ts';

/**
 * Issue 11 part 6 and issue 12 part 5, through the CLI as a user runs it, on one real offline run:
 * - on a terminal (a pseudo-TTY from util-linux `script`), `run` and `events --follow` draw the live
 *   view in place, one line per phase in pipeline order, and end with the summary; piped, `events
 *   --follow` still prints JSON lines;
 * - the run leaves `dossier.pdf` beside the HTML: a valid PDF of more than one page whose text holds
 *   every section heading of dossier.html, as dossier.json says.
 */

const execFileAsync = promisify(execFile);
/** `run.started` lists the plan's levels; flattened, they are the canonical phase order. */
const PIPELINE = [...PHASE_NAMES];
const ESC = String.fromCharCode(27);
/** CSI n F (cursor to the start of the line n up) then CSI 0 J (clear to the end): one redraw. */
const REDRAW = new RegExp(`${ESC}\\[(\\d+)F${ESC}\\[0J`, 'g');

/** `ideamine <args>` on a pseudo-terminal; its output as the terminal received it. */
async function onTerminal(args: string[], home: string): Promise<{ code: number; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  try {
    const { stdout } = await execFileAsync('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, IDEAMINE_HOME: home, IDEAMINE_LOG_LEVEL: 'error', COLUMNS: '120' },
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: e.stdout ?? '' };
  }
}

/** The last frame of the live view and what was printed after it. */
function lastFrame(output: string): { frame: string[]; after: string[]; redraws: number } {
  const text = output.replaceAll('\r\n', '\n');
  const matches = [...text.matchAll(REDRAW)];
  const last = matches.at(-1);
  const tail = last ? text.slice((last.index ?? 0) + last[0].length) : text;
  const lines = tail.split('\n');
  const height = last ? Number(last[1]) : 0;
  return { frame: lines.slice(0, height), after: lines.slice(height), redraws: matches.length };
}

function expectFinishedView(frame: string[], runId: string): void {
  expect(frame[0]).toContain(`run ${runId}`);
  const phaseLines = frame.slice(1, 1 + PIPELINE.length);
  expect(phaseLines.map((l) => l.split(/\s+/)[1])).toEqual(PIPELINE);
  for (const line of phaseLines) {
    expect(line.startsWith('✓ ')).toBe(true);
    expect(line).toMatch(/gate \d+ .* tok {2}\$\d+\.\d{4} .*passed$/);
  }
  expect(frame[1 + PIPELINE.length]).toMatch(/^elapsed .* tokens · \$\d+\.\d{4} · succeeded$/);
}

const decode = (html: string) =>
  html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/<[^>]+>/g, '');

describe('acceptance: the terminal live view and dossier.pdf', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-live-'));
  let run: { code: number; output: string };
  let runId: string;

  beforeAll(async () => {
    run = await onTerminal(['run', 'A shared todo app for small teams'], home);
    runId = /run ([0-9a-f-]{36}): succeeded/.exec(run.output)?.[1] ?? '';
  }, 600_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('run on a terminal redraws one line per phase in pipeline order and ends with the summary', () => {
    expect(run.code, run.output.slice(-2_000)).toBe(0);
    expect(runId).not.toBe('');
    const { frame, after, redraws } = lastFrame(run.output);
    expect(redraws).toBeGreaterThan(5);
    expectFinishedView(frame, runId);
    const summary = after.join('\n');
    expect(summary).toContain(`run ${runId}: succeeded`);
    expect(summary).toMatch(/release dossier: .*dossier\.html/);
    // The live view replaced the scrolling log: no JSON line and no per-event line.
    expect(run.output).not.toMatch(/^\{"runId"/m);
    expect(run.output).not.toContain('gate passed (score');
  });

  it('events --follow draws the same view on a terminal and JSON lines when piped', async () => {
    const live = await onTerminal(['events', runId, '--follow'], home);
    expect(live.code).toBe(0);
    expectFinishedView(lastFrame(live.output).frame, runId);
    const piped = await runCli(['events', runId, '--follow'], { IDEAMINE_HOME: home });
    expect(piped.code).toBe(0);
    const lines = piped.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ runId });
    expect(piped.stdout).not.toContain(`${ESC}[`);
  });

  it('writes dossier.pdf: a valid PDF of several pages with every section of dossier.html', async () => {
    const dir = join(home, 'runs', runId);
    const bytes = readFileSync(join(dir, 'dossier.pdf'));
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.subarray(-8).toString('latin1')).toContain('%%EOF');
    const { totalPages, text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), {
      mergePages: true,
    });
    expect(totalPages).toBeGreaterThan(1);
    const html = readFileSync(join(dir, 'dossier.html'), 'utf8');
    const headings = [...html.matchAll(/<h2>(.*?)<\/h2>/g)].map((m) => decode(m[1] ?? ''));
    expect(headings.slice(0, 2)).toEqual(['Executive summary', 'Code']);
    expect(headings.length).toBeGreaterThanOrEqual(8);
    const flat = text.replace(/\s+/g, ' ');
    for (const heading of headings) expect(flat).toContain(heading);
    // Artifacts are readable, not JSON: a user story's fields appear spelled out.
    expect(flat).toContain('Acceptance criteria');
    expect(html).not.toContain('&#34;stories&#34;:');
    const dossier = JSON.parse(readFileSync(join(dir, 'dossier.json'), 'utf8'));
    expect(dossier.pdf).toMatchObject({ written: true, file: 'dossier.pdf', pages: totalPages });
    expect(dossier.run.status).toBe('succeeded');
    expect(flat).toContain('Final status succeeded');
  });
});
