import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WCAG_AA_TAGS } from '../../src/tools/adapters/a11y-check.ts';
import { locateChromium } from '../../src/tools/chromium.ts';
import { launchChromium } from '../../src/tools/chromium-launch.mjs';
import { toolPath } from '../../src/tools/environment.ts';
import { ROOT, runCli, spawnCli, waitForJsonLine } from '../support/cli.ts';

/**
 * Issue 11, parts 4 and 5: `ideamine serve` (a child process, embedded PGlite), a token from
 * `ideamine token create`, and the dashboard in Debian's Chromium driven by playwright-core. The page
 * signs in with the token, starts a run from its form (POST /api/runs), and the test watches the
 * phase rows change from pending to passed without a reload: every change comes over the event
 * stream. axe-core checks the page at 1280 px and 390 px wide. Screenshots go to test-output/dashboard/
 * (and to docs/dashboard.png with IDEAMINE_UPDATE_DOCS=1, the README's picture).
 */

const OUTPUT = join(ROOT, 'test-output', 'dashboard');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const RUN_TIMEOUT_MS = 480_000;
const IDEA = 'A shared todo app for small teams';

interface AxeSummary {
  id: string;
  impact: string | null;
  nodes: number;
  /** The first few offending elements' selectors, so that a failure says where to look. */
  targets: string[];
}

interface AxeWindow {
  axe: {
    run(
      context: Document,
      options: unknown,
    ): Promise<{
      violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }>;
    }>;
  };
}

async function axe(page: Page): Promise<AxeSummary[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(
    async (tags) => {
      const { violations } = await (window as unknown as AxeWindow).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
      });
      return violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
      }));
    },
    [...WCAG_AA_TAGS],
  );
}

const severe = (violations: AxeSummary[]) =>
  violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

/** Every status each phase row showed, in order, recorded in the page by a MutationObserver. */
async function watchPhaseRows(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    const note = (row: Element) => {
      const phase = row.getAttribute('data-phase') ?? '?';
      const status = row.getAttribute('data-status') ?? '?';
      const list = seen[phase] ?? [];
      if (list.at(-1) !== status) list.push(status);
      seen[phase] = list;
    };
    for (const row of document.querySelectorAll('.gantt-row')) note(row);
    new MutationObserver((records) => {
      for (const r of records) {
        const target = r.target as Element;
        if (target.classList?.contains('gantt-row')) note(target);
        for (const added of r.addedNodes)
          if (added instanceof Element)
            for (const row of added.querySelectorAll?.('.gantt-row') ?? []) note(row);
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-status'],
    });
    (window as unknown as { phaseHistory: Record<string, string[]> }).phaseHistory = seen;
  });
}

describe('acceptance: the dashboard follows a run live in Chromium', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-dashboard-'));
  const env = { IDEAMINE_HOME: home, IDEAMINE_LOG_LEVEL: 'info' };
  let serve: ChildProcess | undefined;
  let serveOutput = '';
  let url = '';
  let token = '';
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const created = await runCli(['token', 'create', '--scope', 'runs:read,runs:write', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    token = (JSON.parse(created.stdout) as { token: string }).token;
    expect(token).toMatch(/^im_/);
    serve = spawnCli(['serve', '--port', '0'], env);
    serve.stdout?.on('data', (d: Buffer) => {
      serveOutput += d.toString();
    });
    serve.stderr?.on('data', (d: Buffer) => {
      serveOutput += d.toString();
    });
    const started = await waitForJsonLine(serve, (l) => l['event'] === 'serve.started', 90_000);
    url = String(started['url']);
    const executablePath = await locateChromium(toolPath(process.execPath));
    if (!executablePath) throw new Error('Chromium is not installed (apt-get install chromium)');
    context = await launchChromium(executablePath, join(home, 'chromium-profile'), {
      viewport: { width: 1280, height: 900 },
      timeoutMs: 60_000,
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await Promise.race([once(serve, 'exit'), new Promise((r) => setTimeout(r, 30_000))]);
      if (serve.exitCode === null) serve.kill('SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it(
    'signs in, starts a run, and shows every phase go from pending to passed without a reload',
    async () => {
      const page = await (context as BrowserContext).newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));

      await page.goto(`${url}/`);
      await page.getByLabel('API token').fill(token);
      const signIn = await axe(page);
      await page.screenshot({ path: join(OUTPUT, 'signin-1280.png'), fullPage: true });
      expect(severe(signIn), JSON.stringify(signIn)).toEqual([]);
      await page.getByRole('button', { name: 'Open the dashboard' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Start a run' }).count()).toBe(1);
      await expect.poll(() => page.getByText('No run yet.').count()).toBe(1);
      const list = await axe(page);
      await page.screenshot({ path: join(OUTPUT, 'runs-1280.png'), fullPage: true });
      expect(severe(list), JSON.stringify(list)).toEqual([]);
      // A reload would drop this marker: the test checks it at the end.
      await page.evaluate(() => {
        (window as unknown as { loadedOnce: boolean }).loadedOnce = true;
      });

      await page.getByLabel('Idea', { exact: true }).fill(IDEA);
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await page.waitForURL(/#run=[0-9a-f-]{36}$/);
      const runId = page.url().split('#run=')[1] as string;
      await page.locator('.gantt-row').first().waitFor();
      await watchPhaseRows(page);
      await page.screenshot({ path: join(OUTPUT, 'run-started-1280.png'), fullPage: true });

      await page.waitForFunction(
        () => {
          const rows = [...document.querySelectorAll('.gantt-row')];
          return rows.length === 13 && rows.every((r) => r.getAttribute('data-status') === 'passed');
        },
        undefined,
        { timeout: RUN_TIMEOUT_MS, polling: 500 },
      );
      await expect
        .poll(() => page.locator('.run-head .badge').textContent(), { timeout: 30_000 })
        .toBe('succeeded');

      const history = await page.evaluate(
        () => (window as unknown as { phaseHistory: Record<string, string[]> }).phaseHistory,
      );
      expect(Object.keys(history)).toHaveLength(13);
      for (const [phase, statuses] of Object.entries(history)) {
        expect(statuses.at(-1), phase).toBe('passed');
        // intake may already be running when the view first draws; every later phase was seen waiting.
        if (phase !== 'intake') expect(statuses[0], `${phase}: ${statuses.join(' → ')}`).toBe('pending');
        expect(statuses.length, `${phase}: ${statuses.join(' → ')}`).toBeGreaterThan(1);
      }
      expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(
        true,
      );
      expect(page.url()).toBe(`${url}/#run=${runId}`);

      // The panels are filled from the finished run.
      await expect.poll(() => page.locator('.gate-pass').count()).toBeGreaterThanOrEqual(13);
      expect(await page.locator('.heat td').count()).toBeGreaterThan(0);
      // The dossier opens from its button (fetched with the token, shown from a blob URL) once written.
      const auth = { authorization: `Bearer ${token}` };
      await expect
        .poll(async () => (await fetch(`${url}/api/runs/${runId}/dossier`, { headers: auth })).status, {
          timeout: 60_000,
        })
        .toBe(200);
      const [dossier] = await Promise.all([
        (context as BrowserContext).waitForEvent('page'),
        page.getByRole('button', { name: 'Release dossier (HTML)' }).click(),
      ]);
      await dossier.waitForURL(/^blob:/);
      expect(await dossier.locator('body').textContent()).toContain(IDEA);
      await dossier.close();
      expect(await page.locator('#burn-chart canvas').count()).toBeGreaterThan(0);

      // Gate readiness: qa's rubrics, each threshold against the measured value and the gate's verdict.
      await page.locator('.readiness details[data-phase="qa"] summary').click();
      const qaRubrics = page.locator('.readiness details[data-phase="qa"] tbody tr');
      expect(await qaRubrics.count()).toBeGreaterThan(0);
      expect(await qaRubrics.locator('.verdict-pass').count()).toBe(await qaRubrics.count());

      // Knowledge Map search: a word of a stored frame finds that frame.
      const { frames } = (await (
        await fetch(`${url}/api/runs/${runId}/kmap?limit=1`, { headers: auth })
      ).json()) as { frames: Array<{ subject: string }> };
      const subject = frames[0]?.subject ?? '';
      // Its longest word: never an English stop word, which full-text search would drop.
      const word = subject.split(/\W+/).sort((a, b) => b.length - a.length)[0] ?? subject;
      await page.getByLabel('Search the Knowledge Map').fill(word);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(() => page.locator('.frames li').count()).toBeGreaterThan(0);
      expect(await page.locator('.frames').textContent()).toContain(subject);

      const wide = await axe(page);
      const shot = join(OUTPUT, 'run-done-1280.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env['IDEAMINE_UPDATE_DOCS'] === '1')
        copyFileSync(shot, join(ROOT, 'docs', 'dashboard.png'));
      expect(severe(wide), JSON.stringify(wide)).toEqual([]);

      await page.setViewportSize({ width: 390, height: 844 });
      const narrow = await axe(page);
      await page.screenshot({ path: join(OUTPUT, 'run-done-390.png'), fullPage: true });
      expect(severe(narrow), JSON.stringify(narrow)).toEqual([]);
      // Usable at 390 px: nothing wider than the viewport but the scrollable tables.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(overflow).toBeLessThanOrEqual(390);

      expect(pageErrors).toEqual([]);
      // The token reached neither the address bar nor serve's output.
      expect(page.url()).not.toContain(token);
      expect(serveOutput).not.toContain(token);
    },
    RUN_TIMEOUT_MS + 120_000,
  );
});
