import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { type ConfigProblem, displayPath, type PathSegment } from './config-problems.ts';

/** A parsed YAML file that can still say on which line a field was written. */
export interface YamlFile {
  /** Path as shown in messages (relative to the working directory when inside it). */
  file: string;
  /** File name without extension, e.g. `story-loop`. */
  name: string;
  data: Record<string, unknown>;
  lineOf(path: readonly PathSegment[]): number | undefined;
}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Lists the YAML files of a directory in name order, so load order never depends on the filesystem. */
export async function listYamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && YAML_EXTENSIONS.has(extname(entry.name)))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** Reads and parses one file; syntax errors become problems naming the file and line. */
export async function readYamlFile(path: string, problems: ConfigProblem[]): Promise<YamlFile | undefined> {
  const file = displayPath(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    problems.push({ file, path: '', message: `cannot read file: ${(error as Error).message}` });
    return undefined;
  }
  const lineCounter = new LineCounter();
  // prettyErrors off: we format the location ourselves, without the multi-line code excerpt.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      problems.push({
        file,
        path: '',
        message: `YAML syntax error at line ${line}, column ${col}: ${error.message}`,
      });
    }
    return undefined;
  }
  if (!isMap(doc.contents)) {
    problems.push({ file, path: '', message: 'expected a mapping of phase settings at the top level' });
    return undefined;
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  return {
    file,
    name: basename(path, extname(path)),
    data,
    lineOf(fieldPath) {
      // The deepest node that exists: a missing field is reported at its parent's line.
      for (let depth = fieldPath.length; depth >= 0; depth--) {
        const node = doc.getIn(fieldPath.slice(0, depth), true) as
          | { range?: [number, number, number] }
          | undefined;
        if (node?.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}
