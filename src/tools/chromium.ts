import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { toolPath } from './environment.ts';

/**
 * The machine's Chromium: where it is, what `doctor` says about it, and printing HTML to PDF with it
 * (the release dossier). The accessibility check launches it the same way, from its sandboxed driver
 * (chromium-launch.mjs holds the flags both use). IdeaMine never downloads a browser.
 */

/** The Debian package's launcher first, then the headless-only build on PATH. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const HEADLESS_SHELL = 'chromium-headless-shell';
export const CHROMIUM_INSTALL_HINT = 'apt-get install chromium (Debian/Ubuntu), or chromium-headless-shell';

export class ChromiumNotInstalledError extends IdeaMineError {
  /** `purpose` names what needs the browser ("the accessibility check", "the dossier's PDF"). */
  constructor(looked: string, purpose = 'the accessibility check', toolId = 'a11y-check') {
    super(
      ErrorCode.toolNotFound,
      `Chromium is not installed (looked for ${looked}); ${purpose} needs it: ${CHROMIUM_INSTALL_HINT}. IdeaMine never downloads a browser.`,
      { errorClass: ErrorClass.fatal, details: { executable: 'chromium', toolId } },
    );
    this.name = 'ChromiumNotInstalledError';
  }
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `/usr/bin/chromium`, else `chromium-headless-shell` on `path`; undefined when neither exists. */
export async function locateChromium(
  path: string,
  candidates: readonly string[] = [CHROMIUM_PATH],
): Promise<string | undefined> {
  for (const candidate of candidates) if (await executable(candidate)) return candidate;
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, HEADLESS_SHELL);
    if (await executable(candidate)) return candidate;
  }
  return undefined;
}

const execFileAsync = promisify(execFile);

/** For `ideamine doctor`: Chromium's `--version`, or how to install it. */
export async function chromiumStatus(
  path = toolPath(process.execPath),
  candidates: readonly string[] = [CHROMIUM_PATH],
): Promise<{ ok: boolean; detail: string }> {
  const found = await locateChromium(path, candidates);
  if (found === undefined)
    return {
      ok: false,
      detail: `not installed (the accessibility check and the dossier's PDF need it): ${CHROMIUM_INSTALL_HINT}`,
    };
  try {
    const { stdout } = await execFileAsync(found, ['--version'], { timeout: 30_000 });
    return { ok: true, detail: `${stdout.trim().split('\n').pop() ?? ''} (${found})` };
  } catch (error) {
    return { ok: false, detail: `${found} --version failed: ${String(error)}` };
  }
}

/** A printed PDF and the browser that printed it (`Chromium <version>`). */
export interface PrintedPdf {
  pdf: Uint8Array;
  printer: string;
}

export interface PdfPrintOptions {
  /** Where to look for Chromium (default: the tools' PATH); candidates tried before it. */
  path?: string;
  candidates?: readonly string[];
  /** Launch, and then layout plus printing, each (default 60 s: launch took 1.5-3.3 s here under load). */
  timeoutMs?: number;
}

/**
 * Prints a self-contained HTML page to an A4 PDF in headless Chromium, with an outline built from its
 * headings and page numbers in the footer. The page gets no network: every request but `data:` URLs
 * (which never reach the router) is aborted, so printing reads nothing but the HTML given.
 * Throws ChromiumNotInstalledError when the machine has no Chromium.
 */
export async function printHtmlToPdf(html: string, options: PdfPrintOptions = {}): Promise<PrintedPdf> {
  const candidates = options.candidates ?? [CHROMIUM_PATH];
  const executablePath = await locateChromium(options.path ?? toolPath(process.execPath), candidates);
  if (executablePath === undefined)
    throw new ChromiumNotInstalledError(
      `${candidates.join(', ')} and ${HEADLESS_SHELL} on PATH`,
      "the dossier's PDF",
      'dossier-pdf',
    );
  const timeoutMs = options.timeoutMs ?? 60_000;
  const profile = await mkdtemp(join(tmpdir(), 'ideamine-pdf-'));
  try {
    // playwright-core costs about 50 MB and seconds to load: only a dossier print pays for it.
    const { launchChromium } = await import('./chromium-launch.mjs');
    const context = await launchChromium(executablePath, profile, {
      viewport: { width: 1100, height: 1400 },
      timeoutMs,
    });
    try {
      await context.route('**/*', (route) => route.abort());
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(timeoutMs);
      await page.setContent(html, { waitUntil: 'load' });
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({
        format: 'A4',
        printBackground: true,
        outline: true,
        tagged: true,
        margin: { top: '16mm', bottom: '18mm', left: '14mm', right: '14mm' },
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate:
          '<div style="font-size:8px;width:100%;text-align:center;color:#667"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      });
      return { pdf, printer: `Chromium ${context.browser()?.version() ?? 'unknown'}` };
    } finally {
      await context.close();
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
