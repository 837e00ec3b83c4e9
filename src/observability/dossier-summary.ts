import { esc, measuredFigures, type StoredReports } from './dossier-reports.ts';

/**
 * The dossier's first page: what a reviewer reads before deciding whether to read on. The idea, the
 * run's final status (the dossier is written once the run has settled, so it is the final one), the
 * gates (how many passed, which needed more than one attempt, which failed and why), the figures the
 * tools measured with each tool@version, cost and tokens against the budgets, the workspace commit,
 * the ledger's state and whether the PDF copy exists. Also the page's CSS, print rules included.
 */

type Json = Record<string, unknown>;

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0)) || 0;

function gatesLine(phases: readonly Json[]): string {
  const passed = phases.filter((p) => p['status'] === 'passed');
  const failed = phases.filter((p) => p['status'] === 'failed');
  const retried = phases.filter((p) => num(p['gateAttempts']) > 1);
  const parts = [`${passed.length} of ${phases.length} phase gates passed`];
  if (failed.length > 0) parts.push(`${failed.length} failed`);
  const others = phases.length - passed.length - failed.length;
  if (others > 0) parts.push(`${others} not reached`);
  const retries = retried.length
    ? `; more than one attempt: ${retried.map((p) => `${esc(p['phase'])} (${esc(p['gateAttempts'])})`).join(', ')}`
    : '; every gate passed at its first attempt';
  return `${parts.join(', ')}${failed.length === 0 && others === 0 ? retries : ''}`;
}

function failedGates(phases: readonly Json[]): string {
  const failed = phases.filter((p) => p['status'] === 'failed');
  if (failed.length === 0) return '';
  const items = failed.map((p) => {
    const gates = (p['gates'] as Json[] | undefined) ?? [];
    const reasons = (gates.at(-1)?.['reasons'] as string[] | undefined) ?? [];
    return `<li><b>${esc(p['phase'])}</b> after ${esc(p['gateAttempts'])} attempts: ${reasons.map(esc).join('; ') || 'no gate reason recorded'}</li>`;
  });
  return `<ul class="failed-gates">${items.join('')}</ul>`;
}

function usageLine(run: Json): string {
  const usage = (run['usage'] ?? {}) as Json;
  const budgets = (run['budgets'] ?? {}) as Json;
  const of = (key: string) => (budgets[key] !== undefined ? ` of ${esc(budgets[key])}` : '');
  return `${Math.round(num(usage['tokens']))} tokens${of('tokens')} · $${num(usage['usd']).toFixed(4)}${budgets['usd'] !== undefined ? ` of $${esc(budgets['usd'])}` : ''} · ${num(usage['toolsMinutes']).toFixed(2)} tool minutes${of('toolsMinutes')}`;
}

function pdfLine(pdf: Json | undefined): string {
  if (!pdf) return '';
  return pdf['written']
    ? `<dt>PDF copy</dt><dd><a href="${esc(pdf['file'])}">${esc(pdf['file'])}</a>, ${esc(pdf['pages'])} pages, printed by ${esc(pdf['printer'])}</dd>`
    : `<dt>PDF copy</dt><dd><b>not written</b>: ${esc(pdf['reason'])}</dd>`;
}

/** The final status, and for a failed run the reason the run stored. */
export function renderFinalStatus(run: Json): string {
  const error = run['error'] as Json | null | undefined;
  const when = run['completedAt'] ? ` at ${esc(new Date(String(run['completedAt'])).toISOString())}` : '';
  return `<span class="${esc(run['status'])}">${esc(run['status'])}</span>${when}${error?.['message'] ? `: ${esc(error['message'])}` : ''}`;
}

/**
 * The executive summary section. `d` is the compiled dossier (run, phases, reports with their
 * payloads, workspace, ledger, pdf).
 */
export function renderExecutiveSummary(d: Json): string {
  const run = d['run'] as Json;
  const idea = (run['idea'] ?? {}) as Json;
  const phases = (d['phases'] as Json[] | undefined) ?? [];
  const ws = d['workspace'] as Json | null;
  const ledger = (d['ledger'] ?? {}) as Json;
  const figures = measuredFigures((d['reports'] ?? {}) as StoredReports)
    .map((f) => `<li><b>${esc(f.label)}</b>: ${f.result} <small>(${esc(f.tool)})</small></li>`)
    .join('');
  return `<section class="summary">
<h2>Executive summary</h2>
<dl class="summary">
<dt>Idea</dt><dd><b>${esc(idea['title'])}</b>: ${esc(idea['description'])}</dd>
<dt>Final status</dt><dd>${renderFinalStatus(run)}</dd>
<dt>Gates</dt><dd>${gatesLine(phases)}${failedGates(phases)}</dd>
<dt>Measured</dt><dd>${figures ? `<ul>${figures}</ul>` : 'no tool measured anything in this run'}</dd>
<dt>Cost</dt><dd>${usageLine(run)}</dd>
<dt>Workspace</dt><dd>${ws ? `commit <code>${esc(ws['commit'] ?? 'none')}</code>` : 'none: this run wrote no code'}</dd>
<dt>Ledger</dt><dd>${esc(ledger['entries'])} entries, chain ${ledger['verified'] ? 'verified' : '<b>NOT verified</b>'}</dd>
${pdfLine(d['pdf'] as Json | undefined)}
</dl>
</section>`;
}

/**
 * Screen and print styles. In print: A4 (margins from the printer), each top-level section on a new
 * page, table rows, list items and headings never split across pages, table headers repeated.
 */
export const DOSSIER_CSS = `
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1d232a}
h1{margin-bottom:.2rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde;padding:.35rem .5rem;text-align:left;vertical-align:top}
.passed,.succeeded{color:#126b2f;font-weight:600}.failed{color:#a11;font-weight:600}pre{background:#f5f6f8;padding:.75rem;overflow:auto;font-size:12px;white-space:pre-wrap;word-break:break-word}
details{margin:.3rem 0}summary{cursor:pointer}small{color:#667}.meta{color:#556}.none{color:#889}.more{color:#667;font-size:12px}
dl{margin:.2rem 0;display:grid;grid-template-columns:max-content 1fr;gap:.15rem .9rem}dt{font-weight:600;color:#334}dd{margin:0}
dl dl{font-size:.95em}table.content{font-size:13px;margin:.3rem 0}
section.artifact{border-top:1px solid #dde;margin-top:1rem;padding-top:.3rem}section.artifact h3{margin:.3rem 0}
@page{size:A4}
@media print{
  body{max-width:none;margin:0;padding:0;font-size:11pt}
  h2{break-before:page}section.summary h2{break-before:auto}
  h2,h3,h4,dt{break-after:avoid}
  tr,li,dd,img,pre{break-inside:avoid}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
  pre{font-size:8.5pt}
}
`;
