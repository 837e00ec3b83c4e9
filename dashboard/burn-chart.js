// Cumulative tokens over time, drawn with uPlot (canvas). The meters above it compare usage with the
// budget in numbers, so the chart is a picture for screen readers (role=img with a label). The budget
// is not drawn as a line: a run usually spends a few percent of it, which would flatten the curve.
import uPlot from './vendor/uPlot.esm.js';

let chart;
let shownFor;

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

function size(el) {
  return { width: Math.max(260, el.clientWidth), height: 180 };
}

/** Draws or updates the chart inside `#burn-chart`; `burn` is [[unixSeconds, tokens, usd], …]. */
export function drawBurnChart(runId, burn) {
  const el = document.getElementById('burn-chart');
  if (!el) return;
  const data = [burn.map((p) => p[0]), burn.map((p) => p[1])];
  if (chart && shownFor === runId && el.contains(chart.root)) {
    chart.setData(data);
    return;
  }
  chart?.destroy();
  el.replaceChildren();
  shownFor = runId;
  if (burn.length === 0) {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'No agent task has finished yet.';
    el.append(note);
    chart = undefined;
    return;
  }
  chart = new uPlot(
    {
      ...size(el),
      series: [{}, { label: 'tokens spent', stroke: '#1d4ed8', width: 2, fill: 'rgba(29, 78, 216, 0.08)' }],
      axes: [{}, { size: 56, values: (_u, ticks) => ticks.map((t) => compact.format(t)) }],
    },
    data,
    el,
  );
}

/** Keeps the chart as wide as its panel (the layout changes between 1280 px and 390 px). */
export function resizeBurnChart() {
  const el = document.getElementById('burn-chart');
  if (chart && el) chart.setSize(size(el));
}
