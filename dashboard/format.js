// Small display helpers shared by the panels.

/** 1234567 → "1,234,567"; fractions keep up to `digits` decimals. */
export function number(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A duration in ms as "1 h 02 min", "3 min 04 s" or "12 s". */
export function duration(ms) {
  if (ms === null || ms === undefined || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** An ISO time as the local "HH:MM:SS" (the date too when it is not today). */
export function clock(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toISOString().slice(0, 10)} ${time}`;
}

/** A rubric threshold as the comparison it stands for: "≤ 0", "≥ 0.8", "= true", "0.1 – 0.5". */
export function threshold(rubric, value) {
  if (Array.isArray(value)) return `${number(value[0])} – ${number(value[1])}`;
  if (rubric.endsWith('_max')) return `≤ ${number(value)}`;
  if (rubric.endsWith('_min')) return `≥ ${number(value)}`;
  return `= ${String(value)}`;
}

/** A measured value as text: booleans as yes/no, numbers rounded. */
export function measured(value) {
  if (value === null || value === undefined) return 'not measured';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return number(value, 3);
}

/** The first 8 characters of an id, as `ideamine runs` shows them. */
export function shortId(id) {
  return id.slice(0, 8);
}
