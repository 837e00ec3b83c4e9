/** How measured metrics word their evidence: short, bounded lists a reader of a failed gate can act on. */

const LIST_LIMIT = 6;

/** The first items joined with "; ", and how many more there are. */
export function listed(items: readonly string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join('; ');
  return items.length > LIST_LIMIT ? `${shown}; and ${items.length - LIST_LIMIT} more` : shown;
}

/** The first non-blank line, trimmed, at most 200 characters. */
export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 200);
}

/** n / d to four decimals; 0 when there is nothing to divide by. */
export function ratio(n: number, d: number): number {
  return d === 0 ? 0 : Math.round((n / d) * 10_000) / 10_000;
}
