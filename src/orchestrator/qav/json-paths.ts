/**
 * JSON paths in the JSONPath dot/bracket form a model reads easily: `$.requirements[2].statement`,
 * `$['odd key']`. Citations name a path, and the validator resolves it against the artifact's
 * content, so formatting and parsing must round-trip exactly.
 */

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `['${segment.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
  }
  return out;
}

/** The segments of a path, or undefined when it is not in the form `formatPath` writes. */
export function parsePath(path: string): PathSegment[] | undefined {
  const text = path.trim();
  if (!text.startsWith('$')) return undefined;
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < text.length) {
    const rest = text.slice(i);
    const dot = /^\.([A-Za-z_$][A-Za-z0-9_$]*)/.exec(rest);
    const index = /^\[(\d+)\]/.exec(rest);
    const quoted = /^\[(['"])((?:\\.|(?!\1).)*)\1\]/.exec(rest);
    const match = dot ?? index ?? quoted;
    if (!match) return undefined;
    if (dot) segments.push(dot[1] ?? '');
    else if (index) segments.push(Number(index[1]));
    else segments.push((quoted?.[2] ?? '').replace(/\\(.)/g, '$1'));
    i += match[0].length;
  }
  return segments;
}

/** The value at `path`, or `found: false` when any step is missing. */
export function resolvePath(root: unknown, path: string): { found: boolean; value: unknown } {
  const segments = parsePath(path);
  if (!segments) return { found: false, value: undefined };
  let current: unknown = root;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return { found: false, value: undefined };
      current = current[segment];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) {
        return { found: false, value: undefined };
      }
      if (!Object.hasOwn(current, segment)) return { found: false, value: undefined };
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return { found: true, value: current };
}

export interface Leaf {
  segments: PathSegment[];
  path: string;
  text: string;
}

/** Every string leaf under `root` with its path, depth first in document order. */
export function stringLeaves(root: unknown, prefix: readonly PathSegment[] = []): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (value: unknown, segments: PathSegment[]): void => {
    if (typeof value === 'string') {
      leaves.push({ segments, path: formatPath(segments), text: value });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        visit(item, [...segments, index]);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) visit(item, [...segments, key]);
    }
  };
  visit(root, [...prefix]);
  return leaves;
}

/** The texts a quote may come from at a node: its strings, plus numbers and booleans as written. */
export function textsAt(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(textsAt);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(textsAt);
  return [];
}
