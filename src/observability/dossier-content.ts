import { esc } from './dossier-reports.ts';

/**
 * An artifact's content as a reader sees it, not as JSON: an object becomes a definition list with
 * its keys spelled out ("acceptanceCriteria" → "Acceptance criteria"), a list of records a table when
 * its rows are flat (user stories, endpoints, risks), short ids and tags one line, other lists bullet
 * lists, text paragraphs, and long text (a generated source file) a code block cut at
 * {@link MAX_TEXT_LINES} lines with the count of what follows, since the whole text is in
 * dossier.json and the code in the workspace.
 * Pure: the same value always gives the same HTML, everything escaped.
 */

/** Lines of one text shown before the rest is only counted (a SourceTree holds whole files). */
export const MAX_TEXT_LINES = 40;
/** A table gets at most this many columns; wider records read better as lists. */
const MAX_TABLE_COLUMNS = 7;
/** A list of scalars each at most this long is written on one line, comma-separated. */
const INLINE_CHARS = 40;
/** Deeper than this, a value is shown compactly on one line rather than nested further. */
const MAX_DEPTH = 6;

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || v === undefined || typeof v !== 'object';
/** A cell a table can hold: a scalar, or a short list of scalars. */
const isCell = (v: unknown) => isScalar(v) || (Array.isArray(v) && v.length <= 8 && v.every(isScalar));

/** `acceptanceCriteria` → `Acceptance criteria`, `p97_5` → `P97 5`, `iWant` → `I want`. */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function renderText(text: string): string {
  const lines = text.split('\n');
  if (lines.length === 1) return esc(text);
  const shown = lines.slice(0, MAX_TEXT_LINES).join('\n');
  const rest = lines.length - MAX_TEXT_LINES;
  const more =
    rest > 0 ? `\n<p class="more">… ${rest} more lines (the full text is in dossier.json)</p>` : '';
  return `<pre>${esc(shown)}</pre>${more}`;
}

function renderScalar(value: unknown): string {
  if (value === null || value === undefined || value === '') return '<span class="none">—</span>';
  if (typeof value === 'string') return renderText(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return esc(value);
}

/** The columns of a list of flat records, in first-seen order; undefined when a table does not fit. */
function tableColumns(rows: readonly unknown[]): string[] | undefined {
  if (rows.length < 2 || !rows.every(isRecord)) return undefined;
  const columns: string[] = [];
  for (const row of rows)
    for (const [key, value] of Object.entries(row)) {
      if (!isCell(value)) return undefined;
      if (!columns.includes(key)) columns.push(key);
    }
  return columns.length <= MAX_TABLE_COLUMNS ? columns : undefined;
}

function renderCell(value: unknown): string {
  return Array.isArray(value) ? value.map(renderScalar).join(', ') || '—' : renderScalar(value);
}

function renderList(items: readonly unknown[], depth: number): string {
  if (items.length === 0) return '<span class="none">none</span>';
  // Ids and short tags (`REQ-1, REQ-4`) read as one line, not as a bullet list.
  if (items.every((i) => isScalar(i) && String(i ?? '').length <= INLINE_CHARS))
    return items.map(renderScalar).join(', ');
  const columns = tableColumns(items);
  if (columns) {
    const head = columns.map((c) => `<th>${esc(humanizeKey(c))}</th>`).join('');
    const body = (items as Json[])
      .map((row) => `<tr>${columns.map((c) => `<td>${renderCell(row[c])}</td>`).join('')}</tr>`)
      .join('');
    return `<table class="content"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  }
  return `<ul>${items.map((item) => `<li>${renderValue(item, depth + 1)}</li>`).join('')}</ul>`;
}

function renderRecord(record: Json, depth: number): string {
  const entries = Object.entries(record);
  if (entries.length === 0) return '<span class="none">—</span>';
  return `<dl>${entries
    .map(([key, value]) => `<dt>${esc(humanizeKey(key))}</dt><dd>${renderValue(value, depth + 1)}</dd>`)
    .join('')}</dl>`;
}

/** Any JSON value as readable HTML (see the module comment for the rules). */
export function renderValue(value: unknown, depth = 0): string {
  if (isScalar(value)) return renderScalar(value);
  if (depth >= MAX_DEPTH) return `<code>${esc(JSON.stringify(value))}</code>`;
  if (Array.isArray(value)) return renderList(value, depth);
  return renderRecord(value as Json, depth);
}
