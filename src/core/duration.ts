import { invalidInput } from './errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `250ms`, `30s`, `5m`, `2h`, `1d`, or a bare number of milliseconds. */
export function parseDurationMs(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalidInput(`invalid duration: ${value}`);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) throw invalidInput(`invalid duration "${value}" (expected e.g. 500ms, 30s, 5m, 2h)`);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1));
}

/** Parses an ISO 8601 duration such as `PT30M`, `P1DT2H`, `PT45S`. Years and months are refused. */
export function parseIsoDurationMs(value: string): number {
  const match =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      value,
    );
  if (!match || value === 'P' || value.endsWith('T')) {
    throw invalidInput(`invalid ISO 8601 duration "${value}" (expected e.g. PT30M, P1DT2H)`);
  }
  const [, w, d, h, m, s] = match;
  const n = (x: string | undefined): number => (x === undefined ? 0 : Number(x));
  return Math.round(((n(w) * 7 + n(d)) * 24 * 3600 + n(h) * 3600 + n(m) * 60 + n(s)) * 1000);
}
