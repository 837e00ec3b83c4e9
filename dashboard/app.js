// The dashboard: sign in with an API token, list the runs, follow one run live over the event stream.
// Routing is the URL fragment (`#run=<id>`), so a run's view can be bookmarked and nothing about it
// reaches the server's logs.
import {
  ApiError,
  adoptTokenFromFragment,
  followEvents,
  forgetToken,
  getJson,
  openResource,
  postJson,
  storedToken,
  storeToken,
} from './api.js';
import { drawBurnChart, resizeBurnChart } from './burn-chart.js';
import { clock, shortId } from './format.js';
import {
  ganttPanel,
  heatmapPanel,
  linksPanel,
  problemsPanel,
  qavPanel,
  readinessPanel,
  spendPanel,
  statusBadge,
} from './panels.js';
import { html, nothing, render } from './vendor/lit-html.js';

/** Events after which the runs list is fetched again. */
const RUN_EVENTS = [
  'run.created',
  'run.started',
  'run.paused',
  'run.resumed',
  'run.cancelled',
  'run.completed',
  'run.failed',
];
/** How long to gather events before refetching the overview (a phase emits several at once). */
const REFRESH_DELAY_MS = 250;

const state = {
  view: 'runs',
  runId: null,
  runs: null,
  overview: null,
  error: null,
  notice: null,
  stream: 'connecting',
  search: null,
  stop: null,
};

const root = document.getElementById('app');

function routeFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const runId = params.get('run');
  return runId ? { view: 'run', runId } : { view: 'runs', runId: null };
}

function update(patch = {}) {
  Object.assign(state, patch);
  render(page(), root);
  if (state.view === 'run' && state.overview) drawBurnChart(state.overview.run.id, state.overview.spend.burn);
}

function reportError(error) {
  if (error instanceof ApiError && error.status === 401) {
    forgetToken();
    update({ error: 'The token was refused (401): sign in with a valid token.' });
    return;
  }
  update({ error: error instanceof Error ? error.message : String(error) });
}

// --- data ---

let refreshTimer;
let refreshing = false;
let refreshAgain = false;

async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      if (state.view === 'run') {
        const overview = await getJson(`/api/runs/${encodeURIComponent(state.runId)}/overview`);
        update({ overview, error: null });
      } else {
        const { runs } = await getJson('/api/runs?limit=50');
        update({ runs, error: null });
      }
    } while (refreshAgain);
  } catch (error) {
    reportError(error);
  } finally {
    refreshing = false;
  }
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), REFRESH_DELAY_MS);
}

/** Opens the view the fragment names: loads it, then follows the events that change it. */
async function open() {
  state.stop?.();
  const route = routeFromHash();
  update({ ...route, overview: null, runs: state.runs, search: null, error: null, stream: 'connecting' });
  if (!storedToken()) return;
  await refresh();
  const afterSeq = state.view === 'run' ? (state.overview?.lastSeq ?? 0) : undefined;
  state.stop = followEvents({
    ...(state.view === 'run' ? { runId: state.runId, afterSeq } : { types: RUN_EVENTS }),
    onEvent: refreshSoon,
    onState: (stream, error) => {
      update({ stream });
      if (error) reportError(error);
      if (stream === 'live') refreshSoon();
    },
  });
}

// --- actions ---

function signIn(event) {
  event.preventDefault();
  const token = new FormData(event.target).get('token')?.toString().trim();
  if (!token) return;
  storeToken(token);
  void open();
}

function signOut() {
  state.stop?.();
  forgetToken();
  update({ runs: null, overview: null, error: null });
}

async function startRun(event) {
  event.preventDefault();
  const form = event.target;
  const description = new FormData(form).get('description')?.toString().trim() ?? '';
  try {
    const run = await postJson('/api/runs', { description });
    form.reset();
    location.hash = `run=${run.id}`;
  } catch (error) {
    update({ notice: `The run was not started: ${error.message}` });
  }
}

async function searchKmap(event) {
  event.preventDefault();
  const q = new FormData(event.target).get('q')?.toString().trim() ?? '';
  if (!q) return;
  try {
    const path = `/api/runs/${encodeURIComponent(state.runId)}/kmap?q=${encodeURIComponent(q)}&limit=20`;
    const { frames } = await getJson(path);
    update({ search: { q, frames } });
  } catch (error) {
    update({ search: { q, frames: [], error: error.message } });
  }
}

function openReport(path) {
  openResource(path).catch((error) => update({ notice: `Could not open it: ${error.message}` }));
}

// --- views ---

const STREAM_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  stopped: 'stopped',
};

function header() {
  return html`<header class="top">
    <h1><a href="#">IdeaMine</a></h1>
    ${
      storedToken()
        ? html`<p class="stream stream-${state.stream}" role="status">Updates: ${STREAM_TEXT[state.stream]}</p>
          <button type="button" @click=${signOut}>Sign out</button>`
        : nothing
    }
  </header>`;
}

function signInView() {
  return html`<section class="panel signin" aria-labelledby="signin-h">
    <h2 id="signin-h">Sign in</h2>
    <p>Create a token with <code>ideamine token create --scope runs:read,runs:write</code> and paste it here.
      It stays in this tab only.</p>
    <form @submit=${signIn}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" required />
      <button type="submit">Open the dashboard</button>
    </form>
  </section>`;
}

function runsView() {
  return html`<section class="panel" aria-labelledby="start-h">
      <h2 id="start-h">Start a run</h2>
      <form class="start" @submit=${startRun}>
        <label for="description">Idea</label>
        <textarea id="description" name="description" rows="2" required minlength="3"
          placeholder="A shared todo app for small teams"></textarea>
        <button type="submit">Start</button>
      </form>
    </section>
    <section class="panel" aria-labelledby="runs-h">
      <h2 id="runs-h">Runs</h2>
      ${
        state.runs === null
          ? html`<p class="muted">Loading…</p>`
          : state.runs.length === 0
            ? html`<p class="muted">No run yet.</p>`
            : html`<ul class="runs">
              ${state.runs.map(
                (r) => html`<li data-run=${r.id}>
                  <a href="#run=${r.id}">${r.title}</a>
                  ${statusBadge(r.status)}
                  <span class="muted">${shortId(r.id)} · created ${clock(r.createdAt)}</span>
                </li>`,
              )}
            </ul>`
      }
    </section>`;
}

function runView() {
  const o = state.overview;
  if (!o) return html`<p class="muted">Loading the run…</p>`;
  const now = Date.now();
  return html`<section class="run-head" aria-labelledby="run-h">
      <p><a href="#">← All runs</a></p>
      <h2 id="run-h">${o.run.title}</h2>
      <p>${statusBadge(o.run.status)} <span class="muted">run ${o.run.id} · created ${clock(o.run.createdAt)}</span></p>
      ${o.run.error ? html`<p class="error">${o.run.error}</p>` : nothing}
    </section>
    <div class="grid">
      ${ganttPanel(o, now)} ${heatmapPanel(o)} ${readinessPanel(o)} ${spendPanel(o)} ${problemsPanel(o)}
      ${linksPanel(o, openReport)} ${qavPanel(o, state.search, searchKmap)}
    </div>`;
}

function page() {
  const signedIn = Boolean(storedToken());
  return html`${header()}
    <main id="main">
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing}
      ${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : nothing}
      ${signedIn ? (state.view === 'run' ? runView() : runsView()) : signInView()}
    </main>`;
}

adoptTokenFromFragment();
window.addEventListener('hashchange', () => void open());
window.addEventListener('resize', resizeBurnChart);
void open();
