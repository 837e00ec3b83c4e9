import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coerceError } from '../core/errors.ts';

/**
 * `dossier.pdf`: the dossier's HTML printed by a headless browser. Observability does not launch
 * browsers itself (tools do): the composition root passes a {@link PdfPrinter} (Chromium through
 * playwright-core, `src/tools/chromium.ts`). When there is no printer, or it fails (no Chromium on the
 * machine, a crash), no PDF is written, an earlier one is removed rather than left to contradict the
 * new dossier, and the returned status carries the reason, which the JSON and HTML then state.
 */

export const DOSSIER_PDF = 'dossier.pdf';

/** Prints one self-contained HTML page; `printer` names the browser and its version. */
export type PdfPrinter = (html: string) => Promise<{ pdf: Uint8Array; printer: string }>;

/** What the dossier says about its PDF copy. */
export type DossierPdfStatus =
  | { written: true; file: typeof DOSSIER_PDF; pages: number; bytes: number; printer: string }
  | { written: false; reason: string };

/**
 * The number of pages of a PDF as its page objects count them, after checking the header: a file
 * that does not start with `%PDF-` or has no page is not a PDF we wrote. Chromium (Skia) writes page
 * dictionaries uncompressed, so the count needs no PDF parser.
 */
export function pdfPageCount(bytes: Uint8Array): number {
  const text = Buffer.from(bytes).toString('latin1');
  if (!text.startsWith('%PDF-')) throw new Error('not a PDF: the file does not start with %PDF-');
  const pages = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  if (pages === 0) throw new Error('not a usable PDF: it has no page objects');
  return pages;
}

/** Prints `html` to `<dir>/dossier.pdf` (written whole, then renamed into place) or says why not. */
export async function writeDossierPdf(
  dir: string,
  html: string,
  printer: PdfPrinter | undefined,
): Promise<DossierPdfStatus> {
  const file = join(dir, DOSSIER_PDF);
  const fail = (reason: string): DossierPdfStatus => {
    rmSync(file, { force: true });
    return { written: false, reason };
  };
  if (!printer) return fail('no PDF printer was configured for this dossier');
  try {
    const { pdf, printer: by } = await printer(html);
    const pages = pdfPageCount(pdf);
    const partial = `${file}.partial`;
    writeFileSync(partial, pdf);
    renameSync(partial, file);
    return { written: true, file: DOSSIER_PDF, pages, bytes: pdf.byteLength, printer: by };
  } catch (error) {
    return fail(coerceError(error).message.split('\n')[0] ?? 'the PDF printer failed');
  }
}
