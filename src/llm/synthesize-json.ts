import { sha256 } from '../core/ids.ts';

/**
 * Builds a deterministic value that satisfies a JSON Schema (the subset `z.toJSONSchema` emits).
 * Every leaf is derived from sha256(seed + path), so the same seed gives the same value and two seeds
 * give different strings. Used by the offline model and by the fake OpenAI server in tests.
 *
 * It is best effort: refinements and arbitrary regex patterns cannot be inverted, so callers must
 * still validate the result against the real schema.
 */

type Node = Record<string, unknown>;
type Path = ReadonlyArray<string | number>;

/** Recursive schemas (trees, linked lists) stop growing past this depth: only required parts remain. */
const MAX_DEPTH = 6;
/** How many elements an unconstrained array gets: enough to look like a list, small enough to read. */
const DEFAULT_ITEMS = 2;

interface Walk {
  root: unknown;
  seed: string;
}

export function synthesizeFromJsonSchema(schema: unknown, seed: string): unknown {
  return valueFor({ root: schema, seed }, schema, [], 0);
}

function valueFor(walk: Walk, raw: unknown, path: Path, depth: number): unknown {
  const node = resolveRefs(walk, raw);
  if (node === undefined) return stringFor(walk, {}, path);
  if ('const' in node) return node['const'];
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return pickEnum(walk, node['enum'], path);
  const branches = (node['anyOf'] ?? node['oneOf']) as unknown[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) {
    return valueFor(walk, firstNonNull(walk, branches), path, depth);
  }
  if (Array.isArray(node['allOf'])) return valueFor(walk, mergeAllOf(walk, node), path, depth);
  switch (typeOf(node)) {
    case 'null':
      return null;
    case 'boolean':
      return unitFor(walk, path) < 0.5;
    case 'integer':
      return numberFor(walk, node, path, true);
    case 'number':
      return numberFor(walk, node, path, false);
    case 'array':
      return arrayFor(walk, node, path, depth);
    case 'object':
      return objectFor(walk, node, path, depth);
    default:
      return stringFor(walk, node, path);
  }
}

/** Follows `$ref`s (`#`, `#/$defs/x`, `#/definitions/x`); returns undefined for `true`/`{}`-like nodes. */
function resolveRefs(walk: Walk, raw: unknown): Node | undefined {
  let node = raw;
  for (let hops = 0; hops < 32 && isNode(node) && typeof node['$ref'] === 'string'; hops++) {
    node = pointer(walk.root, node['$ref']);
  }
  return isNode(node) ? node : undefined;
}

function pointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const parts = ref.slice(1).split('/').filter(Boolean);
  let current: unknown = root;
  for (const part of parts) {
    if (!isNode(current)) return undefined;
    current = current[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return current;
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function typeOf(node: Node): string | undefined {
  const type = node['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') ?? 'null') as string;
  if ('properties' in node || 'additionalProperties' in node) return 'object';
  if ('items' in node || 'prefixItems' in node) return 'array';
  return undefined;
}

/** Nullable fields get a value rather than null: an offline artifact full of nulls says nothing. */
function firstNonNull(walk: Walk, branches: unknown[]): unknown {
  return branches.find((b) => resolveRefs(walk, b)?.['type'] !== 'null') ?? branches[0];
}

function pickEnum(walk: Walk, values: unknown[], path: Path): unknown {
  const nonNull = values.filter((v) => v !== null);
  const pool = nonNull.length > 0 ? nonNull : values;
  return pool[Math.floor(unitFor(walk, path) * pool.length)];
}

function mergeAllOf(walk: Walk, node: Node): Node {
  const merged: Node = { ...node, allOf: undefined };
  const properties: Node = { ...(isNode(node['properties']) ? node['properties'] : {}) };
  const required = new Set<string>(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
  for (const part of node['allOf'] as unknown[]) {
    const sub = resolveRefs(walk, part);
    if (!sub) continue;
    Object.assign(merged, sub);
    if (isNode(sub['properties'])) Object.assign(properties, sub['properties']);
    if (Array.isArray(sub['required'])) for (const key of sub['required'] as string[]) required.add(key);
  }
  delete merged['allOf'];
  return { ...merged, properties, required: [...required] };
}

function hexFor(walk: Walk, path: Path): string {
  return sha256(`${walk.seed}\u0000${path.join('/')}`);
}

/** A number in [0, 1) derived from the path's hash. */
function unitFor(walk: Walk, path: Path): number {
  return Number.parseInt(hexFor(walk, path).slice(0, 8), 16) / 2 ** 32;
}

function labelFor(path: Path): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const part = path[i];
    if (typeof part === 'string') return part;
  }
  return 'value';
}

function stringFor(walk: Walk, node: Node, path: Path): string {
  const hex = hexFor(walk, path);
  const base = formatted(node['format'], hex, labelFor(path)) ?? `${labelFor(path)} ${hex.slice(0, 8)}`;
  const min = typeof node['minLength'] === 'number' ? node['minLength'] : 0;
  const max = typeof node['maxLength'] === 'number' ? node['maxLength'] : Number.POSITIVE_INFINITY;
  let value = base;
  while (value.length < min) value += hex;
  return value.length > max ? value.slice(0, max) : value;
}

function formatted(format: unknown, hex: string, label: string): string | undefined {
  const slug =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'value';
  const day = new Date(Date.UTC(2025, 0, 1) + (Number.parseInt(hex.slice(0, 4), 16) % 365) * 86_400_000);
  switch (format) {
    case 'email':
      return `${slug}.${hex.slice(0, 8)}@example.com`;
    case 'uri':
    case 'url':
      return `https://example.com/${slug}/${hex.slice(0, 8)}`;
    case 'uuid':
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    case 'date-time':
      return day.toISOString();
    case 'date':
      return day.toISOString().slice(0, 10);
    case 'time':
      return day.toISOString().slice(11, 19);
    case 'duration':
      return `P${(Number.parseInt(hex.slice(0, 2), 16) % 28) + 1}D`;
    case 'ipv4':
      return `10.${Number.parseInt(hex.slice(0, 2), 16)}.${Number.parseInt(hex.slice(2, 4), 16)}.1`;
    case 'hostname':
      return `${slug}.example.com`;
    default:
      return undefined;
  }
}

function numberFor(walk: Walk, node: Node, path: Path, integer: boolean): number {
  const num = (key: string): number | undefined => (typeof node[key] === 'number' ? node[key] : undefined);
  const exMin = num('exclusiveMinimum');
  const exMax = num('exclusiveMaximum');
  let lo = num('minimum') ?? (exMin === undefined ? undefined : integer ? Math.floor(exMin) + 1 : exMin);
  let hi = num('maximum') ?? (exMax === undefined ? undefined : integer ? Math.ceil(exMax) - 1 : exMax);
  if (lo === undefined && hi === undefined) [lo, hi] = [0, 100];
  lo ??= (hi as number) - 100;
  hi ??= lo + 100;
  const unit = unitFor(walk, path);
  const step = num('multipleOf');
  if (step !== undefined && step > 0) {
    const first = Math.ceil(lo / step);
    const count = Math.max(1, Math.floor(hi / step) - first + 1);
    return (first + Math.floor(unit * count)) * step;
  }
  if (integer) return Math.ceil(lo) + Math.floor(unit * (Math.floor(hi) - Math.ceil(lo) + 1));
  // Stay strictly inside so exclusive bounds hold; two decimals keep artifacts readable.
  const value = Math.round((lo + (hi - lo) * (0.1 + 0.8 * unit)) * 100) / 100;
  return value > lo && value < hi ? value : (lo + hi) / 2;
}

function arrayFor(walk: Walk, node: Node, path: Path, depth: number): unknown[] {
  const prefix = Array.isArray(node['prefixItems']) ? (node['prefixItems'] as unknown[]) : [];
  const out = prefix.map((item, i) => valueFor(walk, item, [...path, i], depth + 1));
  const items = node['items'];
  if (items === false) return out;
  const min = typeof node['minItems'] === 'number' ? node['minItems'] : 0;
  const max = typeof node['maxItems'] === 'number' ? node['maxItems'] : Number.POSITIVE_INFINITY;
  const wanted = depth >= MAX_DEPTH ? min : Math.min(max, Math.max(min, DEFAULT_ITEMS));
  for (let i = out.length; i < wanted; i++) out.push(valueFor(walk, items, [...path, i], depth + 1));
  return out;
}

function objectFor(walk: Walk, node: Node, path: Path, depth: number): Record<string, unknown> {
  const properties = isNode(node['properties']) ? node['properties'] : {};
  const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(properties)) {
    // Optional fields are filled while shallow (richer output) unless their schema says nothing.
    const resolved = resolveRefs(walk, sub);
    const optionalWorthIt = depth < MAX_DEPTH && resolved !== undefined && Object.keys(resolved).length > 0;
    if (required.has(key) || optionalWorthIt) out[key] = valueFor(walk, sub, [...path, key], depth + 1);
  }
  const extra = node['additionalProperties'];
  if (extra === undefined || extra === false) return out;
  const shallow = depth < MAX_DEPTH && Object.keys(properties).length === 0;
  for (const key of recordKeys(walk, node, path, shallow)) {
    if (!(key in out)) out[key] = valueFor(walk, extra, [...path, key], depth + 1);
  }
  return out;
}

/** Keys for a record (`additionalProperties`): required/enum keys, else one derived key while shallow. */
function recordKeys(walk: Walk, node: Node, path: Path, shallow: boolean): string[] {
  const names = resolveRefs(walk, node['propertyNames']);
  if (names && Array.isArray(names['enum'])) return names['enum'].map(String);
  const required = Array.isArray(node['required']) ? (node['required'] as string[]) : [];
  if (required.length > 0 || !shallow) return required;
  return [`key-${hexFor(walk, [...path, '$key']).slice(0, 6)}`];
}
