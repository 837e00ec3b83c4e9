import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extractText, getDocumentProxy } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { pdfPageCount } from '../observability/dossier-pdf.ts';
import { ChromiumNotInstalledError, chromiumStatus, locateChromium, printHtmlToPdf } from './chromium.ts';

// Real Chromium (Debian's, at /usr/bin/chromium here and in CI): nothing is skipped when it is missing.

describe('the machine Chromium', () => {
  it('is found where the machine has it, and how to install it is said when it is not', async () => {
    expect(await locateChromium('/nonexistent-dir', ['/nonexistent/chromium'])).toBeUndefined();
    // This machine and CI have Debian's package; a missing browser fails here.
    expect(await locateChromium('/usr/bin:/bin')).toBeDefined();
    const error = new ChromiumNotInstalledError('/usr/bin/chromium');
    expect(error.message).toMatch(/Chromium is not installed/);
    expect(error.message).toMatch(/the accessibility check needs it: apt-get install chromium/);
    expect(error.message).toMatch(/never downloads a browser/);
    // `ideamine doctor` says the same.
    expect(await chromiumStatus('/nonexistent-dir', ['/nonexistent/chromium'])).toEqual({
      ok: false,
      detail: expect.stringMatching(/^not installed .*apt-get install chromium/),
    });
  });

  it('prints HTML to a multi-page PDF whose text has the headings, fetching nothing', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end('x');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const filler = '<p>paragraph</p>'.repeat(120);
    const html = `<!doctype html><html><head><link rel="stylesheet" href="http://127.0.0.1:${port}/a.css"></head>
<body><h1>Dossier title</h1><img src="http://127.0.0.1:${port}/x.png"><h2>First section</h2>${filler}
<h2 style="break-before:page">Second section</h2><p>Umlaut ü and € sign</p></body></html>`;
    try {
      const { pdf, printer } = await printHtmlToPdf(html);
      expect(printer).toMatch(/^Chromium \d+\./);
      expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
      const doc = await getDocumentProxy(new Uint8Array(pdf));
      const { totalPages, text } = await extractText(doc, { mergePages: true });
      expect(totalPages).toBeGreaterThan(1);
      expect(pdfPageCount(pdf)).toBe(totalPages);
      for (const heading of ['Dossier title', 'First section', 'Second section', 'Umlaut ü and € sign'])
        expect(text).toContain(heading);
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  }, 120_000);

  it('refuses with the install hint when the machine has no Chromium', async () => {
    const printing = printHtmlToPdf('<p>x</p>', {
      path: '/nonexistent-dir',
      candidates: ['/nonexistent/chromium'],
    });
    await expect(printing).rejects.toBeInstanceOf(ChromiumNotInstalledError);
    await expect(printing).rejects.toThrow(/the dossier's PDF needs it: apt-get install chromium/);
  });
});
