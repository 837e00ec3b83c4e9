import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WorkspaceInfo } from '../core/workbench.ts';
import type { Database } from '../storage/database.ts';
import { assumptionsForDossier, evidencePacksForDossier } from '../storage/dossier-store.ts';
import { recordedInputs } from '../storage/lineage-store.ts';
import { getPhases, getRun, listArtifacts, saveDossier } from '../storage/run-store.ts';
import { listRunWaivers } from '../storage/waiver-store.ts';
import { renderValue } from './dossier-content.ts';
import { type DossierPdfStatus, type PdfPrinter, writeDossierPdf } from './dossier-pdf.ts';
import {
  esc,
  extractAttachments,
  renderAccessibility,
  renderMeasured,
  renderSecurity,
  type StoredReports,
} from './dossier-reports.ts';
import { DOSSIER_CSS, renderExecutiveSummary, renderFinalStatus } from './dossier-summary.ts';
import { readLedger, verifyLedger } from './ledger.ts';

/**
 * The release dossier: everything a reviewer needs to trust a run, compiled from stored state only
 * (run, plan, phases and their gates, artifacts with provenance, evidence packs, assumptions, the
 * ledger's verified head). Written as JSON, as one self-contained HTML page, and as that page printed
 * to PDF. It is written when the run has settled (the orchestrator's onSettled, after the outcome is
 * stored) and again by `ideamine dossier`, so the status it shows is the run's final one.
 */

export const DOSSIER_VERSION = '1.0.0';

export interface DossierFiles {
  json: string;
  html: string;
  /** `dossier.pdf` when it was printed, or why it was not. */
  pdf: DossierPdfStatus;
}

/** What the dossier says about the code: where it is, at which commit, and what the tools measured on it. */
export interface DossierExtras {
  workspace?: WorkspaceInfo | null;
  /** Prints the HTML to dossier.pdf (Chromium, wired by the runtime); without it no PDF is written. */
  printPdf?: PdfPrinter | undefined;
}

/** The latest tool report of each type, with the tool@version and commit that produced it. */
function toolReports(artifacts: Awaited<ReturnType<typeof listArtifacts>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of artifacts) {
    if (a.provenance['source'] !== 'tool') continue;
    out[a.type] = {
      artifactId: a.id,
      phase: a.phase,
      gateAttempt: a.provenance['gateAttempt'],
      tool: a.provenance['tool'],
      commit: a.provenance['commit'],
      sandbox: a.provenance['sandbox'],
      durationMs: a.provenance['durationMs'],
      report: a.content,
    };
  }
  return out;
}

export async function compileDossier(
  db: Database,
  runId: string,
  extras: DossierExtras = {},
): Promise<Record<string, unknown>> {
  const run = await getRun(db, runId);
  if (!run) throw new Error(`no run ${runId}`);
  const [phases, artifacts, ledger, verification, packs, assumptions, waivers] = await Promise.all([
    getPhases(db, runId),
    listArtifacts(db, runId),
    readLedger(db, runId),
    verifyLedger(db, runId),
    evidencePacksForDossier(db, runId),
    assumptionsForDossier(db, runId),
    listRunWaivers(db, runId),
  ]);
  const gates = ledger.filter((e) => e.type === 'gate').map((e) => e.data);
  // Phases in pipeline order (the plan's order), not in the order they happened to be stored.
  const planOrder = ((run.plan as { phases?: Array<{ phase: string }> } | null)?.phases ?? []).map(
    (p) => p.phase,
  );
  const rank = (phase: string) => {
    const i = planOrder.indexOf(phase);
    return i < 0 ? planOrder.length : i;
  };
  const ordered = [...phases].sort((a, b) => rank(a.phase) - rank(b.phase));
  const workspace = extras.workspace ?? null;
  const models = [
    ...new Set(artifacts.map((a) => String(a.provenance['model'] ?? a.provenance['source'] ?? 'unknown'))),
  ].sort();
  return {
    version: DOSSIER_VERSION,
    run: {
      id: run.id,
      idea: run.idea,
      status: run.status,
      error: run.error,
      planHash: run.planHash,
      usage: run.usage,
      budgets: run.budgets,
      createdAt: run.createdAt,
      completedAt: run.completedAt,
    },
    models,
    workspace: workspace
      ? {
          path: workspace.path,
          commit: workspace.head,
          files: workspace.files,
          commits: workspace.log,
        }
      : null,
    reports: toolReports(artifacts),
    phases: ordered.map((p) => ({
      phase: p.phase,
      status: p.status,
      gateAttempts: p.gateAttempts,
      usage: p.usage,
      evidencePackId: p.evidencePackId,
      gates: gates.filter((g) => g['phase'] === p.phase),
      startedAt: p.startedAt,
      completedAt: p.completedAt,
    })),
    artifacts: artifacts.map((a) => ({
      id: a.id,
      phase: a.phase,
      type: a.type,
      name: a.name,
      hash: a.hash,
      provenance: a.provenance,
      // Lineage, one level: what this artifact was made from (`ideamine lineage <id>` walks the rest).
      inputs: recordedInputs(a.provenance),
      content: a.content,
    })),
    evidencePacks: packs,
    assumptions,
    // Every waiver granted on the run, with who, why and until when; a gate row names the ones it applied.
    waivers: waivers.map((w) => ({
      id: w.id,
      phase: w.phase,
      rubric: w.violationType,
      owner: w.owner,
      reason: w.reason,
      compensatingControl: w.compensatingControl,
      status: w.status,
      grantedAt: w.createdAt,
      expiresAt: w.expiresAt,
    })),
    ledger: { entries: ledger.length, headHash: ledger.at(-1)?.hash ?? null, verified: verification.ok },
  };
}

/**
 * Compiles, stores (release_dossiers) and writes `<dir>/dossier.json`, `<dir>/dossier.html`, its PDF
 * `<dir>/dossier.pdf` (with `extras.printPdf`; else, or when printing fails, no PDF and `pdf.reason`)
 * and the attachments beside them (`sbom.cdx.json`, `screenshots/*.png`). The JSON and the stored copy
 * name the attachments instead of carrying their bytes; the HTML inlines the screenshots to stay one file.
 */
export async function writeDossier(
  db: Database,
  runId: string,
  dir: string,
  extras: DossierExtras = {},
): Promise<DossierFiles> {
  const full = await compileDossier(db, runId, extras);
  const { files: attachments, reports } = extractAttachments(full['reports'] as StoredReports);
  const byArtifact = new Map(Object.values(reports).map((r) => [r['artifactId'], r['report']]));
  const dossier = {
    ...full,
    reports,
    attachments: [...attachments.keys()],
    artifacts: (full['artifacts'] as Array<Record<string, unknown>>).map((a) =>
      byArtifact.has(a['id']) ? { ...a, content: byArtifact.get(a['id']) } : a,
    ),
  };
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of attachments) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  // The PDF is the page itself, printed; the page and the JSON then say whether the PDF exists.
  const page = { ...dossier, reports: full['reports'] };
  const pdf = await writeDossierPdf(dir, renderDossierHtml(page, { print: true }), extras.printPdf);
  await saveDossier(db, runId, DOSSIER_VERSION, { ...dossier, pdf });
  const files = { json: join(dir, 'dossier.json'), html: join(dir, 'dossier.html'), pdf };
  writeFileSync(files.json, `${JSON.stringify({ ...dossier, pdf }, null, 2)}\n`);
  writeFileSync(files.html, renderDossierHtml({ ...page, pdf }));
  return files;
}

function renderCode(ws: Record<string, unknown> | null, open: string): string {
  if (!ws) return '<p>No workspace: this run wrote no code.</p>';
  const files = (ws['files'] as Array<{ path: string; bytes: number }>) ?? [];
  const commits = (ws['commits'] as Array<{ sha: string; subject: string }>) ?? [];
  return `<p class="meta">Repository <code>${esc(ws['path'])}</code> at commit <code>${esc(ws['commit'] ?? 'none')}</code></p>
<details${open}><summary>${files.length} files</summary><pre>${files.map((f) => `${esc(f.path)}  ${esc(f.bytes)} B`).join('\n')}</pre></details>
<details${open}><summary>${commits.length} commits</summary><pre>${commits.map((c) => `${esc(c.sha.slice(0, 12))} ${esc(c.subject)}`).join('\n')}</pre></details>`;
}

/** "Made from": a link to each input's block in this page (an input not in the dossier is named by id). */
function renderInputs(
  a: Record<string, unknown>,
  byId: ReadonlyMap<unknown, Record<string, unknown>>,
): string {
  const inputs = (a['inputs'] as string[] | undefined) ?? [];
  if (inputs.length === 0) return '';
  const links = inputs.map((id) => {
    const input = byId.get(id);
    return input
      ? `<a href="#artifact-${esc(id)}">${esc(input['type'])} · ${esc(input['name'])}</a>`
      : `<code>${esc(id)}</code>`;
  });
  return `<p class="meta">Made from: ${links.join(', ')}</p>`;
}

/**
 * The dossier as one HTML page. `print` renders it for the PDF: collapsed blocks are opened, since a
 * printed page cannot expand them.
 */
export function renderDossierHtml(d: Record<string, unknown>, options: { print?: boolean } = {}): string {
  const open = options.print ? ' open' : '';
  const run = d['run'] as Record<string, unknown>;
  const idea = run['idea'] as Record<string, unknown>;
  const phases = d['phases'] as Array<Record<string, unknown>>;
  const artifacts = d['artifacts'] as Array<Record<string, unknown>>;
  const assumptions = d['assumptions'] as Array<Record<string, unknown>>;
  const ledger = d['ledger'] as Record<string, unknown>;
  const codeSection = renderCode(d['workspace'] as Record<string, unknown> | null, open);
  const reports = (d['reports'] ?? {}) as StoredReports;
  const waivers = (d['waivers'] ?? []) as Array<Record<string, unknown>>;
  const waiverById = new Map(waivers.map((w) => [w['id'], w]));
  const phaseRows = phases
    .map((p) => {
      const gates = p['gates'] as Array<Record<string, unknown>>;
      const last = gates.at(-1);
      const reasons = gates.flatMap((g) => (g['reasons'] as string[]) ?? []);
      const waived = ((last?.['waiversApplied'] ?? []) as string[]).map((id) => {
        const w = waiverById.get(id);
        return `<b>waived</b>: ${esc(w?.['rubric'] ?? id)}${w ? ` (${esc(w['owner'])})` : ''}`;
      });
      return `<tr><td>${esc(p['phase'])}</td><td class="${esc(p['status'])}">${esc(p['status'])}</td><td>${esc(p['gateAttempts'])}</td><td>${esc(last?.['score'] ?? '-')}</td><td>${[...reasons.map(esc), ...waived].join('<br>') || '—'}</td></tr>`;
    })
    .join('\n');
  const waiverRows = waivers
    .map(
      (w) =>
        `<tr><td>${esc(w['phase'])}</td><td>${esc(w['rubric'])}</td><td>${esc(w['reason'] ?? '—')}</td><td>${esc(w['compensatingControl'])}</td><td>${esc(w['owner'])}</td><td>${esc(iso(w['grantedAt']))}</td><td>${esc(iso(w['expiresAt']))}</td><td>${esc(w['status'])}</td></tr>`,
    )
    .join('\n');
  const artifactsById = new Map(artifacts.map((a) => [a['id'], a]));
  const artifactBlocks = artifacts
    .map((a) => {
      const prov = a['provenance'] as Record<string, unknown>;
      return `<section class="artifact" id="artifact-${esc(a['id'])}"><h3>${esc(a['phase'])} · ${esc(a['type'])}</h3><p class="meta">${esc(a['name'])} · ${esc(prov['agent'] ?? prov['tool'] ?? prov['source'] ?? '')}${prov['model'] ? ` · ${esc(prov['model'])}` : ''} · sha256 <code>${esc(String(a['hash']).slice(0, 12))}</code></p>${renderInputs(a, artifactsById)}${renderValue(a['content'])}</section>`;
    })
    .join('\n');
  const assumptionRows = assumptions
    .map(
      (a) =>
        `<li><b>${esc(a['phase_id'])}</b>: ${esc(a['assumption'])} <small>(${esc(a['status'])}; mitigation: ${esc(a['mitigation'] ?? '—')})</small></li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Release dossier · ${esc(idea['title'])}</title>
<style>${DOSSIER_CSS}</style></head><body>
<h1>${esc(idea['title'])}</h1>
<p class="meta">${esc(idea['description'])}</p>
<p class="meta">Run <code>${esc(run['id'])}</code> · final status ${renderFinalStatus(run)} · plan <code>${esc(String(run['planHash']).slice(0, 12))}</code> · models: ${esc((d['models'] as string[]).join(', '))} · ledger ${esc(ledger['entries'])} entries, chain ${ledger['verified'] ? 'verified' : '<b>NOT verified</b>'}</p>
${renderExecutiveSummary(d)}
<h2>Code</h2>
${codeSection}
<h2>Measured by tools</h2>
${renderMeasured(reports)}
<h2>Security findings</h2>
${renderSecurity(reports)}
<h2>Accessibility, page by page</h2>
${renderAccessibility(reports)}
<h2>Phases and gates</h2>
<table><thead><tr><th>Phase</th><th>Status</th><th>Gate attempts</th><th>Score</th><th>Gate failure reasons</th></tr></thead><tbody>
${phaseRows}
</tbody></table>
<h2>Waivers</h2>
${
  waivers.length
    ? `<table><thead><tr><th>Phase</th><th>Rubric</th><th>Reason</th><th>Compensating control</th><th>Owner</th><th>Granted</th><th>Expires</th><th>Status</th></tr></thead><tbody>
${waiverRows}
</tbody></table>`
    : '<p>none: every gate passed on its own measures</p>'
}
<h2>Assumptions</h2>
<ul>${assumptionRows || '<li>none</li>'}</ul>
<h2>Artifacts (${artifacts.length})</h2>
${artifactBlocks}
</body></html>
`;
}

/** A stored date as ISO text: a Date, or the string it became in dossier.json. */
function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value ?? '');
}
