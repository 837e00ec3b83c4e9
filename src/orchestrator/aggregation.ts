import { canonicalJson } from '../core/ids.ts';
import type { Aggregation } from '../core/schemas/phase-plan.ts';

/**
 * Fan-in: combines the outputs of several tasks that produced the same artifact type. Inputs are in
 * a fixed order (agent list, then shard index) and objects are walked with sorted keys, so the result
 * never depends on which task finished first.
 */
export function aggregate(outputs: readonly unknown[], strategy: Aggregation): unknown {
  if (outputs.length === 1) return outputs[0];
  switch (strategy) {
    case 'concat':
      return { items: [...outputs] };
    case 'vote':
      return vote(outputs);
    default:
      return outputs.reduce((acc, next) => merge(acc, next));
  }
}

/** Deep merge: objects merge key by key (sorted), arrays concatenate, scalars: the later one wins. */
export function merge(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (isObject(a) && isObject(b)) {
    const out: Record<string, unknown> = {};
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      out[key] = key in a && key in b ? merge(a[key], b[key]) : key in b ? b[key] : a[key];
    }
    return out;
  }
  return b === undefined ? a : b;
}

/** Majority per top-level field (ties go to the earliest output in order). */
function vote(outputs: readonly unknown[]): unknown {
  const objects = outputs.filter(isObject);
  const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))].sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const counts = new Map<string, { value: unknown; n: number; first: number }>();
    objects.forEach((o, i) => {
      if (!(key in o)) return;
      const k = canonicalJson(o[key]);
      const entry = counts.get(k) ?? { value: o[key], n: 0, first: i };
      entry.n++;
      counts.set(k, entry);
    });
    const best = [...counts.values()].sort((x, y) => y.n - x.n || x.first - y.first)[0];
    if (best) out[key] = best.value;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
