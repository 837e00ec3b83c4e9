import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Which files `npm test` runs, read from the workspace's package.json. A generated workspace's script
 * is `node --test [patterns]`; we reuse its patterns and flags so the tool measures the same files a
 * person would. Reporter and coverage flags are ours to set. Anything else (a shell pipeline, another
 * runner) falls back to `node --test`'s own default patterns, and says so.
 */

export interface NodeTestSelection {
  flags: string[];
  patterns: string[];
  /** Where the selection came from, for the report. */
  source: 'npm-test-script' | 'node-test-defaults';
}

const OURS = /^--(test|experimental-test-coverage|test-reporter|test-reporter-destination)(=|$)/;
const TAKES_VALUE = new Set(['--test-reporter', '--test-reporter-destination']);

export async function readPackageJson(workspace: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(await readFile(join(workspace, 'package.json'), 'utf8'));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function scriptOf(pkg: Record<string, unknown>, name: string): string | undefined {
  const scripts = pkg['scripts'];
  if (scripts === null || typeof scripts !== 'object') return undefined;
  const script = (scripts as Record<string, unknown>)[name];
  return typeof script === 'string' ? script : undefined;
}

export function selectionFromScript(script: string | undefined): NodeTestSelection {
  const fallback: NodeTestSelection = { flags: [], patterns: [], source: 'node-test-defaults' };
  const tokens = script === undefined ? undefined : shellWords(script);
  if (tokens === undefined || tokens[0] !== 'node' || !tokens.includes('--test')) return fallback;
  const flags: string[] = [];
  const patterns: string[] = [];
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (OURS.test(token)) {
      if (TAKES_VALUE.has(token)) i++;
      continue;
    }
    (token.startsWith('-') ? flags : patterns).push(token);
  }
  return { flags, patterns, source: 'npm-test-script' };
}

/** Splits a simple command line; `undefined` for anything needing a shell (pipes, &&, $, ;...). */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (const ch of line.trim()) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (/[|&;<>$`()\\]/.test(ch)) {
      return undefined;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(current);
  return words;
}
