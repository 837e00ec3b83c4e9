/**
 * The measured part of the release dossier: one row per tool report (tool@version, result, commit),
 * the findings that a reader must see (secrets masked, static findings, advisories, accessibility
 * violations by page, with a screenshot of each page), and the files attached beside the dossier
 * (the CycloneDX SBOM, the screenshots as PNG). Reports are read structurally: the dossier shows what
 * was stored, and a report of an older shape is shown as far as it goes rather than breaking the page.
 */

type Json = Record<string, unknown>;
export type StoredReports = Record<string, Json>;

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '—');
const short = (commit: unknown) => esc(String(commit ?? '').slice(0, 12));

/** A one-line result per report type; unknown types are listed by their tool alone. */
const SUMMARIES: Record<string, { label: string; result: (r: Json) => string }> = {
  TestReport: {
    label: 'Test suite',
    result: (r) =>
      `${esc(r['passed'])} passed, ${esc(r['failed'])} failed, ${esc(r['skipped'])} skipped, ${esc(r['todo'])} todo of ${esc(r['total'])}`,
  },
  MeasuredCoverage: {
    label: 'Coverage',
    result: (r) =>
      `lines ${pct(r['lines'])}, branches ${pct(r['branches'])}, functions ${pct(r['functions'])}`,
  },
  AcceptanceRun: {
    label: 'Acceptance (app started, over HTTP)',
    result: (r) =>
      `${esc(r['passed'])} passed, ${esc(r['failed'])} failed of ${esc(r['total'])}${r['baseUrl'] ? ` against ${esc(r['baseUrl'])}` : ''}`,
  },
  LoadTestReport: {
    label: 'Load test (app started)',
    result: (r) => {
      if (r['startError']) return `not run: the app did not start`;
      const o = obj(r['overall']);
      const l = obj(o['latencyMs']);
      return `${esc(o['requests'])} requests, ${esc(o['throughput'])} req/s; latency p50 ${esc(l['p50'])} ms, p97.5 ${esc(l['p97_5'])} ms, p99 ${esc(l['p99'])} ms; error rate ${pct(o['errorRate'])}`;
    },
  },
  SecretScan: {
    label: 'Secret scan (files and git history)',
    result: (r) => {
      const scanned = obj(r['scanned']);
      return `${arr(r['findings']).length} secrets in ${esc(scanned['files'])} files and ${esc(scanned['historyBlobs'])} history blobs`;
    },
  },
  StaticAnalysis: {
    label: 'Static analysis',
    result: (r) => {
      const findings = arr(r['findings']);
      const high = findings.filter((f) => f['severity'] === 'high' || f['severity'] === 'critical').length;
      return `${findings.length} findings (${high} high or critical) in ${esc(r['filesScanned'])} files; ${arr(r['parseErrors']).length} files not parsed`;
    },
  },
  DependencyAudit: {
    label: 'Dependency audit',
    result: (r) => {
      if (r['status'] !== 'ran') return `<b>not run</b>: ${esc(r['reason'])}`;
      const c = obj(r['counts']);
      return `${esc(r['dependencies'])} dependencies: ${esc(c['critical'])} critical, ${esc(c['high'])} high, ${esc(c['moderate'])} moderate, ${esc(c['low'])} low`;
    },
  },
  Sbom: {
    label: 'SBOM',
    result: (r) =>
      `CycloneDX ${esc(r['specVersion'])}, ${esc(r['componentCount'])} components${r['file'] ? ` · <a href="${esc(r['file'])}">${esc(r['file'])}</a>` : ''}`,
  },
  AccessibilityScan: {
    label: 'Accessibility (axe-core in Chromium)',
    result: (r) => {
      if (r['startError']) return 'not run: the app did not start';
      const c = obj(r['counts']);
      return `${arr(r['pages']).length} pages: ${esc(c['critical'])} critical, ${esc(c['serious'])} serious, ${esc(c['moderate'])} moderate, ${esc(c['minor'])} minor violations`;
    },
  },
};

/** One figure per tool report: its label, the tool@version that measured it, the result as HTML. */
export function measuredFigures(
  reports: StoredReports,
): Array<{ label: string; tool: unknown; result: string; commit: unknown }> {
  return Object.entries(reports).map(([type, stored]) => {
    const summary = SUMMARIES[type];
    return {
      label: summary?.label ?? type,
      tool: stored['tool'],
      result: summary ? summary.result(obj(stored['report'])) : '—',
      commit: stored['commit'],
    };
  });
}

export function renderMeasured(reports: StoredReports): string {
  const rows = measuredFigures(reports).map(
    (f) =>
      `<tr><td>${esc(f.label)}</td><td>${esc(f.tool)}</td><td>${f.result}</td><td><code>${short(f.commit)}</code></td></tr>`,
  );
  if (rows.length === 0) return '<p>No tool measured anything in this run.</p>';
  return `<table><thead><tr><th>Report</th><th>Tool</th><th>Result</th><th>Commit</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Secret hits (masked as the scanner stored them), high static findings and advisories. */
export function renderSecurity(reports: StoredReports): string {
  const rows: string[] = [];
  for (const f of arr(obj(reports['SecretScan']?.['report'])['findings']))
    rows.push(
      `<tr><td>secret</td><td><code>${esc(f['file'])}:${esc(f['line'])}</code>${f['source'] === 'history' ? ` <small>(history ${short(f['commit'])})</small>` : ''}</td><td>${esc(f['rule'])}</td><td><code>${esc(f['masked'])}</code></td></tr>`,
    );
  for (const f of arr(obj(reports['StaticAnalysis']?.['report'])['findings']))
    rows.push(
      `<tr><td>${esc(f['severity'])}</td><td><code>${esc(f['file'])}:${esc(f['line'])}</code></td><td>${esc(f['rule'])}</td><td>${esc(f['message'])}</td></tr>`,
    );
  for (const a of arr(obj(reports['DependencyAudit']?.['report'])['advisories']))
    rows.push(
      `<tr><td>${esc(a['severity'])}</td><td><code>${esc(a['name'])} ${esc(a['range'])}</code></td><td>advisory</td><td>${esc(a['title'])}</td></tr>`,
    );
  if (rows.length === 0) return '<p>No findings.</p>';
  return `<table><thead><tr><th>Severity</th><th>Where</th><th>Rule</th><th>Finding</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Each scanned page: status, violations, and its screenshot (inline, so the page stays one file). */
export function renderAccessibility(reports: StoredReports): string {
  const scan = obj(reports['AccessibilityScan']?.['report']);
  const pages = arr(scan['pages']);
  if (pages.length === 0)
    return scan['startError'] ? `<p>Not run: ${esc(scan['startError'])}</p>` : '<p>No page was checked.</p>';
  return pages
    .map((p) => {
      const violations = arr(p['violations']);
      const shot = obj(p['screenshot']);
      const img =
        typeof shot['base64'] === 'string'
          ? `<img alt="Screenshot of ${esc(p['path'])}" src="data:image/png;base64,${shot['base64']}" style="max-width:100%;border:1px solid #dde">`
          : '';
      const list = violations
        .map(
          (v) =>
            `<li><b>${esc(v['impact'] ?? 'unrated')}</b> <a href="${esc(v['helpUrl'])}">${esc(v['id'])}</a>: ${esc(v['help'])} <small>${arr(v['targets']).map(esc).join(', ')}</small></li>`,
        )
        .join('');
      return `<h3><code>${esc(p['path'])}</code> · HTTP ${esc(p['status'] ?? '—')}${p['error'] ? ` · ${esc(p['error'])}` : ''}</h3>
<ul>${list || '<li>no violations</li>'}</ul>
${img}`;
    })
    .join('\n');
}

/**
 * Files the dossier attaches: the SBOM document and each screenshot as PNG. Returns the files to write
 * (relative path → bytes) and a copy of the reports where those payloads are replaced by their file,
 * so that dossier.json names the files instead of carrying the bytes twice.
 */
export function extractAttachments(reports: StoredReports): {
  files: Map<string, Buffer | string>;
  reports: StoredReports;
} {
  const files = new Map<string, Buffer | string>();
  const out: StoredReports = structuredClone(reports);
  const sbom = obj(out['Sbom']?.['report']);
  if (sbom['bom'] !== undefined) {
    files.set('sbom.cdx.json', `${JSON.stringify(sbom['bom'], null, 2)}\n`);
    delete sbom['bom'];
    sbom['file'] = 'sbom.cdx.json';
  }
  arr(obj(out['AccessibilityScan']?.['report'])['pages']).forEach((page, i) => {
    const shot = obj(page['screenshot']);
    if (typeof shot['base64'] !== 'string') return;
    const slug =
      String(page['path'] ?? '')
        .replace(/[^A-Za-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'index';
    const file = `screenshots/${String(i + 1).padStart(2, '0')}-${slug}.png`;
    files.set(file, Buffer.from(shot['base64'], 'base64'));
    delete shot['base64'];
    shot['file'] = file;
  });
  return { files, reports: out };
}
