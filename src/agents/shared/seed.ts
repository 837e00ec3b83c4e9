import { hashOf, sha256 } from '../../core/ids.ts';

/**
 * Deterministic "randomness" for the offline synthesizers: every choice is a sha256 of the seed and a
 * salt naming the choice, so the same input always gives the same output and adding a new choice
 * does not shift the others (no shared stream state, unlike a PRNG).
 */
export interface Seeded {
  readonly seed: string;
  /** An integer in [min, max], inclusive. */
  int(salt: string, min: number, max: number): number;
  /** A number in [min, max) rounded to `digits` decimals. */
  float(salt: string, min: number, max: number, digits?: number): number;
  pick<T>(salt: string, items: readonly T[]): T;
  /** `count` distinct items in a seed-dependent order (all of them when count ≥ length). */
  sample<T>(salt: string, items: readonly T[], count: number): T[];
}

function unit(seed: string, salt: string): number {
  return Number.parseInt(sha256(`${seed}:${salt}`).slice(0, 12), 16) / 0x1000000000000;
}

export function seeded(...parts: unknown[]): Seeded {
  const seed = hashOf(...parts);
  return {
    seed,
    int: (salt, min, max) => min + Math.floor(unit(seed, salt) * (max - min + 1)),
    float: (salt, min, max, digits = 2) => {
      const factor = 10 ** digits;
      return Math.round((min + unit(seed, salt) * (max - min)) * factor) / factor;
    },
    pick: <T>(salt: string, items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError(`seeded.pick(${salt}): no items`);
      return items[Math.floor(unit(seed, salt) * items.length)] as T;
    },
    sample: <T>(salt: string, items: readonly T[], count: number): T[] =>
      items
        .map((item, i) => ({ item, key: unit(seed, `${salt}:${i}`) }))
        .sort((a, b) => a.key - b.key)
        .slice(0, Math.max(0, count))
        .map((x) => x.item),
  };
}
