import type { AccessibilityScan } from '../core/schemas/accessibility-report.ts';
import type { MeasuredValue } from './measured-metrics.ts';
import { firstLine, listed } from './metric-text.ts';

/**
 * Aesthetic-gate metrics from the accessibility check (axe-core in Chromium on every page of the
 * started app). Nothing here is judged by a model:
 * - `a11y_violations_serious`: axe rules violated with impact serious or critical, per page;
 * - `wcag_level_aa`: every page loaded and no violated rule carries a WCAG A or AA tag, whatever its impact;
 * - `pages_failed`: pages that did not load (a navigation error or a non-2xx status), named with it.
 * An app that did not start, or a scan that reached no page, measures nothing good: all three fail.
 */

const WCAG_A_AA = /^wcag2(1|2)?a{1,2}$/;
const BLOCKING = new Set(['serious', 'critical']);

type Page = AccessibilityScan['pages'][number];
type Violation = Page['violations'][number];

function pageFailure(page: Page): string | undefined {
  if (page.error !== undefined) return `${page.path}: ${page.error}`;
  if (page.status === null || page.status < 200 || page.status > 299)
    return `${page.path}: HTTP ${page.status ?? 'no response'}`;
  return undefined;
}

function describe(page: Page, v: Violation): string {
  const where = v.targets.length > 0 ? ` at ${v.targets.slice(0, 2).join(', ')}` : '';
  return `${page.path}: ${v.id} (${v.impact ?? 'unrated'}) ${v.help}${where}`;
}

export function accessibilityMetrics(scan: AccessibilityScan, tool: string): Record<string, MeasuredValue> {
  const failedPages = scan.pages.map(pageFailure).filter((f): f is string => f !== undefined);
  const serious = scan.pages.flatMap((p) =>
    p.violations.filter((v) => v.impact !== null && BLOCKING.has(v.impact)).map((v) => describe(p, v)),
  );
  const wcag = scan.pages.flatMap((p) =>
    p.violations.filter((v) => v.tags.some((t) => WCAG_A_AA.test(t))).map((v) => describe(p, v)),
  );
  const nothingScanned = scan.startError !== undefined || scan.pages.length === 0;
  const why = scan.startError
    ? `the app did not start: ${firstLine(scan.startError)}`
    : scan.pages.length === 0
      ? 'no page was scanned'
      : undefined;
  const by = { source: 'tool' as const, by: tool };
  return {
    a11y_violations_serious: {
      ...by,
      // No page scanned is not zero violations: count it as one so that a `_max: 0` rubric fails.
      value: nothingScanned ? Math.max(1, serious.length) : serious.length,
      detail: why ?? (serious.length === 0 ? `none on ${scan.pages.length} pages` : listed(serious)),
    },
    wcag_level_aa: {
      ...by,
      value: !nothingScanned && failedPages.length === 0 && wcag.length === 0,
      detail:
        why ??
        (wcag.length === 0 && failedPages.length === 0
          ? `${scan.pages.length} pages, no WCAG A/AA rule violated (${scan.standard.join(', ')})`
          : listed([...failedPages, ...wcag])),
    },
    pages_failed: {
      ...by,
      value: nothingScanned ? Math.max(1, failedPages.length) : failedPages.length,
      detail:
        why ?? (failedPages.length === 0 ? `all ${scan.pages.length} pages loaded` : listed(failedPages)),
    },
  };
}
