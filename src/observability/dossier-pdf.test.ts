import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printHtmlToPdf } from '../tools/chromium.ts';
import { DOSSIER_PDF, pdfPageCount, writeDossierPdf } from './dossier-pdf.ts';

const fakePdf = (pages: number) =>
  new TextEncoder().encode(
    `%PDF-1.4\n1 0 obj <</Type /Pages /Count ${pages}>> endobj\n${'2 0 obj <</Type /Page>> endobj\n'.repeat(pages)}%%EOF`,
  );

describe('dossier.pdf', () => {
  it('counts page objects, not the page tree, and refuses what is not a PDF', () => {
    expect(pdfPageCount(fakePdf(3))).toBe(3);
    expect(() => pdfPageCount(new TextEncoder().encode('<html>'))).toThrow(/not a PDF/);
    expect(() => pdfPageCount(new TextEncoder().encode('%PDF-1.4\n%%EOF'))).toThrow(/no page objects/);
  });

  it('writes what the printer printed and says how many pages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ideamine-pdf-'));
    const status = await writeDossierPdf(dir, '<p>x</p>', async () => ({
      pdf: fakePdf(2),
      printer: 'Test 1',
    }));
    expect(status).toEqual({
      written: true,
      file: DOSSIER_PDF,
      pages: 2,
      bytes: fakePdf(2).byteLength,
      printer: 'Test 1',
    });
    expect(readFileSync(join(dir, DOSSIER_PDF))).toEqual(Buffer.from(fakePdf(2)));
    expect(existsSync(join(dir, `${DOSSIER_PDF}.partial`))).toBe(false);
  });

  it('writes no PDF, and removes an earlier one, when Chromium is missing, fails or prints garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ideamine-pdf-'));
    const stale = () => writeFileSync(join(dir, DOSSIER_PDF), fakePdf(1));
    const noChromium = (html: string) =>
      printHtmlToPdf(html, { path: '/nonexistent-dir', candidates: ['/nonexistent/chromium'] });
    const cases = [
      { printer: noChromium, reason: /^Chromium is not installed .*the dossier's PDF needs it/ },
      { printer: async () => Promise.reject(new Error('Target crashed\nlog…')), reason: /^Target crashed$/ },
      { printer: async () => ({ pdf: new TextEncoder().encode('oops'), printer: 'x' }), reason: /not a PDF/ },
      { printer: undefined, reason: /no PDF printer was configured/ },
    ];
    for (const { printer, reason } of cases) {
      stale();
      const status = await writeDossierPdf(dir, '<p>x</p>', printer);
      expect(status.written).toBe(false);
      expect(status.written ? '' : status.reason).toMatch(reason);
      expect(existsSync(join(dir, DOSSIER_PDF))).toBe(false);
    }
  });
});
