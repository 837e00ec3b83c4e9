// The run view's panels, each a pure function of the run overview (GET /api/runs/:id/overview).

import { clock, duration, measured, number, shortId, threshold } from './format.js';
import { html, nothing } from './vendor/lit-html.js';

const STATUS_TEXT = {
  pending: 'pending',
  running: 'running',
  paused: 'paused',
  passed: 'passed',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
  succeeded: 'succeeded',
};

export function statusBadge(status) {
  return html`<span class="badge status-${status}">${STATUS_TEXT[status] ?? status}</span>`;
}

/** The span the Gantt covers: the run's start to its end (or now while it runs). */
function timeline(overview, now) {
  const starts = overview.phases
    .map((p) => p.startedAt)
    .filter(Boolean)
    .map(Date.parse);
  const ends = overview.phases.map((p) => (p.completedAt ? Date.parse(p.completedAt) : now));
  const start = Math.min(...starts, overview.run.startedAt ? Date.parse(overview.run.startedAt) : now);
  const end = overview.run.completedAt ? Date.parse(overview.run.completedAt) : Math.max(now, ...ends);
  return { start, span: Math.max(1, end - start) };
}

function gateList(phase) {
  if (phase.gates.length === 0) return html`<span class="muted">no gate yet</span>`;
  return html`${phase.gates.map(
    (g) =>
      html`<span class="gate ${g.pass ? 'gate-pass' : 'gate-fail'}"
        >gate ${g.attempt}: ${g.pass ? 'passed' : 'failed'} (score ${number(g.score)})</span
      >`,
  )}`;
}

/** Phase Gantt in pipeline order: one row per phase, a bar from start to end, its gate attempts. */
export function ganttPanel(overview, now) {
  const { start, span } = timeline(overview, now);
  const bar = (p) => {
    if (!p.startedAt) return html`<div class="bar-track" aria-hidden="true"></div>`;
    const from = Date.parse(p.startedAt);
    const to = p.completedAt ? Date.parse(p.completedAt) : now;
    const left = ((from - start) / span) * 100;
    const width = Math.max(0.8, ((to - from) / span) * 100);
    return html`<div class="bar-track" aria-hidden="true">
      <div class="bar status-${p.status}" style="margin-left:${left.toFixed(2)}%;width:${Math.min(width, 100 - left).toFixed(2)}%"></div>
    </div>`;
  };
  return html`<section class="panel gantt" aria-labelledby="gantt-h">
    <h2 id="gantt-h">Phases</h2>
    <ol class="gantt-rows">
      ${overview.phases.map(
        (p) => html`<li class="gantt-row" data-phase=${p.phase} data-status=${p.status}>
          <span class="phase-name">${p.phase}</span>
          ${statusBadge(p.status)}
          ${bar(p)}
          <span class="phase-meta">
            ${p.stage && p.status === 'running' ? html`<span>stage ${p.stage}</span>` : nothing}
            <span>${p.startedAt ? duration((p.completedAt ? Date.parse(p.completedAt) : now) - Date.parse(p.startedAt)) : 'not started'}</span>
            ${p.generation > 1 ? html`<span>generation ${p.generation}</span>` : nothing}
            ${gateList(p)}
          </span>
        </li>`,
      )}
    </ol>
  </section>`;
}

/** Tasks over time: a phase × time grid whose shade is the number of tasks running. */
export function heatmapPanel(overview) {
  const { heatmap } = overview;
  const max = Math.max(1, ...heatmap.rows.flatMap((r) => r.counts));
  const level = (n) => (n === 0 ? 0 : Math.min(4, Math.ceil((n / max) * 4)));
  const colTime = (i) => clock(new Date(Date.parse(heatmap.start) + i * heatmap.bucketMs).toISOString());
  const rows = heatmap.rows.filter((r) => r.counts.some((n) => n > 0));
  return html`<section class="panel heatmap" aria-labelledby="heatmap-h">
    <h2 id="heatmap-h">Tasks over time</h2>
    ${
      heatmap.start === null
        ? html`<p class="muted">No task has started yet.</p>`
        : html`<p class="muted">Each column is ${duration(heatmap.bucketMs)} from ${clock(heatmap.start)}; a cell counts the tasks running then.</p>
          <div class="scroll" tabindex="0" role="region" aria-label="Tasks over time, scrollable">
            <table class="heat">
              <thead><tr><th scope="col">phase</th>${heatmap.rows[0]?.counts.map((_, i) => html`<th scope="col"><span class="sr-only">from ${colTime(i)}</span></th>`)}</tr></thead>
              <tbody>
                ${rows.map(
                  (r) => html`<tr>
                    <th scope="row">${r.phase}</th>
                    ${r.counts.map((n, i) => html`<td class="heat-${level(n)}" title="${r.phase}, ${colTime(i)}: ${n} running">${n > 0 ? n : html`<span class="sr-only">0</span>`}</td>`)}
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

function rubricRow(r) {
  const verdict = r.pass === null ? 'not judged' : r.pass ? 'passed' : 'failed';
  return html`<tr>
    <th scope="row">${r.rubric}</th>
    <td>${threshold(r.rubric, r.threshold)}</td>
    <td>${measured(r.actual)}</td>
    <td><span class="verdict verdict-${r.pass === null ? 'none' : r.pass ? 'pass' : 'fail'}">${verdict}</span></td>
  </tr>`;
}

/** Gate readiness: each rubric's measured value against its threshold, per phase. */
export function readinessPanel(overview) {
  const withEvidence = overview.readiness.filter((r) => r.rubrics.length > 0);
  return html`<section class="panel readiness" aria-labelledby="readiness-h">
    <h2 id="readiness-h">Gate readiness</h2>
    ${withEvidence.map(
      (r) => html`<details ?open=${r.verdict === 'failed'} data-phase=${r.phase}>
        <summary>
          ${r.phase}: ${r.verdict === null ? (r.attempt === null ? 'no evidence yet' : `attempt ${r.attempt} awaiting the gate`) : `attempt ${r.attempt} ${r.verdict}`}
          (${r.rubrics.filter((x) => x.pass === true).length}/${r.rubrics.length} rubrics)
        </summary>
        <div class="scroll" tabindex="0" role="region" aria-label="${r.phase} rubrics, scrollable">
          <table>
            <thead><tr><th scope="col">rubric</th><th scope="col">threshold</th><th scope="col">measured</th><th scope="col">gate</th></tr></thead>
            <tbody>${r.rubrics.map(rubricRow)}</tbody>
          </table>
        </div>
      </details>`,
    )}
  </section>`;
}

const RESOURCES = [
  ['tokens', 'tokens', 0],
  ['usd', 'US dollars', 4],
  ['toolsMinutes', 'tool minutes', 2],
];

function meter(label, used, budget, digits) {
  const max = budget > 0 ? budget : Math.max(used, 1);
  return html`<div class="meter-row">
    <span>${label}</span>
    <meter min="0" max=${max} value=${Math.min(used, max)} high=${max * 0.8} optimum="0" aria-label=${label}></meter>
    <span>${number(used, digits)} of ${budget > 0 ? number(budget, digits) : 'no budget'}</span>
  </div>`;
}

/** Spend against budget: the run's meters, then the cumulative-token chart (drawn by burn-chart.js). */
export function spendPanel(overview) {
  const { run } = overview.spend;
  return html`<section class="panel spend" aria-labelledby="spend-h">
    <h2 id="spend-h">Cost and tokens</h2>
    ${RESOURCES.map(([key, label, digits]) => meter(label, run.usage[key] ?? 0, run.budgets[key] ?? 0, digits))}
    <p class="muted">Tokens reported by finished agent tasks, over time:</p>
    <div id="burn-chart" class="burn" role="img" aria-label="Tokens reported by finished agent tasks, cumulative over time"></div>
    <details>
      <summary>By phase</summary>
      <div class="scroll" tabindex="0" role="region" aria-label="Spend by phase, scrollable">
        <table>
          <thead><tr><th scope="col">phase</th><th scope="col">tokens</th><th scope="col">token budget</th><th scope="col">USD</th><th scope="col">tool minutes</th></tr></thead>
          <tbody>
            ${overview.spend.phases.map(
              (p) =>
                html`<tr><th scope="row">${p.phase}</th><td>${number(p.usage.tokens ?? 0, 0)}</td><td>${number(p.budgets.tokens ?? 0, 0)}</td><td>${number(p.usage.usd ?? 0, 4)}</td><td>${number(p.usage.toolsMinutes ?? 0)}</td></tr>`,
            )}
          </tbody>
        </table>
      </div>
    </details>
  </section>`;
}

/** Errors, stalls and the unsticker's decisions, newest first. */
export function problemsPanel(overview) {
  const problems = [...overview.problems].reverse();
  return html`<section class="panel problems" aria-labelledby="problems-h">
    <h2 id="problems-h">Errors, stalls and decisions</h2>
    ${
      problems.length === 0
        ? html`<p class="muted">Nothing went wrong so far.</p>`
        : html`<ol class="problem-list" tabindex="0" aria-label="Problems, newest first">
          ${problems.map(
            (p) => html`<li class="problem type-${p.type.replaceAll('.', '-')}">
              <time datetime=${p.at}>${clock(p.at)}</time>
              <span class="problem-type">${p.type}</span>
              ${p.phase ? html`<span class="problem-phase">${p.phase}</span>` : nothing}
              ${p.taskId ? html`<span class="muted">task ${shortId(p.taskId)}</span>` : nothing}
              <span class="problem-text">${p.summary}</span>
            </li>`,
          )}
        </ol>`
    }
  </section>`;
}

/** Q/A/V coverage per phase, assumptions and the Knowledge Map, with its search. */
export function qavPanel(overview, search, onSearch) {
  const { qav } = overview;
  const count = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  const rows = qav.phases.filter((p) => p.questions !== null);
  return html`<section class="panel qav" aria-labelledby="qav-h">
    <h2 id="qav-h">Q/A/V coverage and knowledge</h2>
    <p>
      ${number(count(qav.frames), 0)} knowledge frames (${number(qav.frames.active ?? 0, 0)} active),
      ${number(qav.conflicts, 0)} conflicts, ${number(count(qav.assumptions), 0)} assumptions
      (${number(qav.assumptions.active ?? 0, 0)} active).
    </p>
    ${
      rows.length === 0
        ? html`<p class="muted">No phase has been clarified yet.</p>`
        : html`<div class="scroll" tabindex="0" role="region" aria-label="Q/A/V coverage, scrollable">
          <table>
            <thead><tr><th scope="col">phase</th><th scope="col">questions</th><th scope="col">accepted</th><th scope="col">rejected</th><th scope="col">unknown</th><th scope="col">fission coverage</th><th scope="col">fusion consensus</th></tr></thead>
            <tbody>
              ${rows.map(
                (p) =>
                  html`<tr><th scope="row">${p.phase}</th><td>${number(p.questions, 0)}</td><td>${number(p.accepted, 0)}</td><td>${number(p.rejected, 0)}</td><td>${number(p.unknown, 0)}</td><td>${number(p.fissionCoverage)}</td><td>${number(p.fusionConsensus)}</td></tr>`,
              )}
            </tbody>
          </table>
        </div>`
    }
    <form class="kmap-search" role="search" @submit=${onSearch}>
      <label for="kmap-q">Search the Knowledge Map</label>
      <input id="kmap-q" name="q" type="search" autocomplete="off" />
      <button type="submit">Search</button>
    </form>
    ${kmapResults(search)}
  </section>`;
}

function kmapResults(search) {
  if (!search) return nothing;
  if (search.error) return html`<p class="error" role="alert">${search.error}</p>`;
  if (search.frames.length === 0) return html`<p aria-live="polite">No frame matches “${search.q}”.</p>`;
  return html`<ol class="frames" aria-live="polite">
    ${search.frames.map(
      (f) => html`<li><strong>${f.subject}</strong> ${f.predicate} <em>${f.object}</em>
        <span class="muted">(${f.phase}, confidence ${number(f.confidence)}, ${f.status})</span></li>`,
    )}
  </ol>`;
}

/** The dossier and the tool reports; opened with the token, so buttons rather than plain links. */
export function linksPanel(overview, onOpen) {
  const runPath = `/api/runs/${overview.run.id}`;
  return html`<section class="panel links" aria-labelledby="links-h">
    <h2 id="links-h">Dossier and reports</h2>
    ${
      // The dossier is compiled just after the run ends (no event follows): offer it from then on.
      overview.hasDossier || overview.run.completedAt
        ? html`<p class="actions">
          <button type="button" class="link" @click=${() => onOpen(`${runPath}/dossier.html`)}>Release dossier (HTML)</button>
          <button type="button" class="link" @click=${() => onOpen(`${runPath}/dossier`)}>Release dossier (JSON)</button>
        </p>`
        : html`<p class="muted">The release dossier is compiled when the run ends.</p>`
    }
    ${
      overview.reports.length === 0
        ? html`<p class="muted">No tool report yet.</p>`
        : html`<ul class="reports">
          ${overview.reports.map(
            (
              r,
            ) => html`<li><button type="button" class="link" @click=${() => onOpen(`${runPath}/artifacts/${r.id}`)}>${r.type}</button>
              <span class="muted">${r.phase} · ${r.name}</span></li>`,
          )}
        </ul>`
    }
  </section>`;
}
