import { z } from 'zod';

/**
 * The accessibility check of the started app: axe-core run in headless Chromium on every page reached
 * from `/` (the `a11y-check` tool). Everything here was measured by the tool; the aesthetic gate reads
 * it (`src/orchestrator/accessibility-metrics.ts`) and the release dossier shows each page with its
 * screenshot.
 */

/** axe-core's impact scale; null when axe gave none. */
export const AxeImpact = z.enum(['minor', 'moderate', 'serious', 'critical']);
export type AxeImpact = z.infer<typeof AxeImpact>;

/** One axe rule a page violated (all the nodes that failed it together). */
export const AxeViolation = z.object({
  /** axe rule id, e.g. `image-alt`. */
  id: z.string().min(1),
  impact: AxeImpact.nullable(),
  /** axe's one-line description of what the rule wants. */
  help: z.string(),
  /** Deque's page about the rule (for people; the tool never fetches it). */
  helpUrl: z.string(),
  /** axe's tags of the rule: the WCAG level (`wcag2a`, `wcag2aa`...), success criterion, category. */
  tags: z.array(z.string()),
  /** How many elements of the page failed the rule. */
  nodes: z.number().int().min(0),
  /** CSS selectors of the first (at most 5) failing elements; frames and shadow roots joined by ` >>> `. */
  targets: z.array(z.string()).max(5),
  /** The first (at most 3) failing elements' HTML, each cut to 300 characters, secret-looking values masked. */
  html: z.array(z.string().max(300)).max(3).optional(),
});
export type AxeViolation = z.infer<typeof AxeViolation>;

/** A full-page PNG (viewport 1280x800), or the viewport alone when the full page was over ~1.5 MB. */
export const PageScreenshot = z.object({
  mediaType: z.literal('image/png'),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Size of the PNG, before base64. */
  bytes: z.number().int().positive(),
  base64: z.string().min(1),
});
export type PageScreenshot = z.infer<typeof PageScreenshot>;

export const ScannedPage = z.object({
  /** Path and query of the page (`/`, `/about`, `/search?q=a`), no fragment. */
  path: z.string().startsWith('/'),
  url: z.string(),
  /** HTTP status of the page's response (after redirects); null when there was none. */
  status: z.number().int().nullable(),
  /**
   * Why the page counts as failing: it did not load (a navigation error, or a non-2xx status as
   * `HTTP 404`), or it loaded but axe-core could not check it. Such a page has no violations: none are
   * invented for a page that was not checked.
   */
  error: z.string().optional(),
  title: z.string().optional(),
  violations: z.array(AxeViolation),
  /** axe rules the page passed. */
  passes: z.number().int().min(0),
  /** axe rules axe could not decide on the page (a person should look). */
  incomplete: z.number().int().min(0),
  screenshot: PageScreenshot.optional(),
});
export type ScannedPage = z.infer<typeof ScannedPage>;

/**
 * Violations by impact, counted as rules × pages: a rule violated on a page counts once there however
 * many elements fail it (those are `nodes`), and once more on each other page that violates it. One
 * count per rule and page is what a fix addresses (one missing `alt` convention, one template), and it
 * keeps a long list of identical items from swamping the figure; `nodes` keeps the element count.
 * Violations axe gave no impact are not counted here.
 */
export const ViolationCounts = z.object({
  critical: z.number().int().min(0),
  serious: z.number().int().min(0),
  moderate: z.number().int().min(0),
  minor: z.number().int().min(0),
});
export type ViolationCounts = z.infer<typeof ViolationCounts>;

export const AccessibilityScan = z.object({
  /** `id@version`, the version being axe-core's, e.g. `a11y-check@4.14.1`. */
  tool: z.string().min(1),
  versions: z.object({
    axeCore: z.string(),
    playwrightCore: z.string(),
    /** Chromium's own version (`browser.version()`); empty when the app never started (no browser). */
    browser: z.string(),
  }),
  /** The workspace commit that was checked. */
  commit: z.string().optional(),
  /** Where the app listened (`http://127.0.0.1:<port>`), or null when it was not started. */
  baseUrl: z.string().nullable(),
  /** Why no page was checked: the app is not a service, or never answered GET /healthz with 200 (8 KB at most). */
  startError: z
    .string()
    .max(8 * 1024)
    .optional(),
  /** The axe tags that were run, e.g. `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']`. */
  standard: z.array(z.string()).min(1),
  /** Pages in the order they were visited: breadth-first from `/` and `ideamine.pages`. */
  pages: z.array(ScannedPage),
  /**
   * Same-origin pages that were linked but not checked, because of the page limit or the time
   * budget (at most 50 paths listed). Absent when every page found was checked.
   */
  unvisited: z
    .object({ count: z.number().int().min(1), paths: z.array(z.string()).max(50), reason: z.string() })
    .optional(),
  counts: ViolationCounts,
});
export type AccessibilityScan = z.infer<typeof AccessibilityScan>;
