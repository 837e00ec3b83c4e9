import type { TestReport } from '../../../core/schemas/tool-reports.ts';
import { generateApp, type SourceFile } from './generate.ts';
import { filesForTest } from './layout.ts';
import type { AppSpec } from './spec.ts';

/**
 * The offline model's repair: it cannot reason about code, but it knows what the specification
 * generates. A failing test implicates the files of its resource (and the shared plumbing); those
 * that differ from the generated content are restored. Anything else is reported as not repaired, so
 * the gate keeps failing on the real test instead of on a claim.
 */

export interface RepairDiagnosis {
  test: string;
  files: string[];
  cause: string;
}

export interface Repair {
  files: SourceFile[];
  diagnosis: RepairDiagnosis[];
}

/** A path as the runner printed it (absolute, `./`-prefixed, or `file://`) → the generated path. */
function generatedPathOf(file: string, generated: ReadonlyMap<string, string>): string | undefined {
  const plain = file
    .replace(/^file:\/\//, '')
    .replace(/\\/g, '/')
    .replace(/^\.\//, '');
  if (generated.has(plain)) return plain;
  let best: string | undefined;
  for (const path of generated.keys()) {
    if (plain.endsWith(`/${path}`) && (best === undefined || path.length > best.length)) best = path;
  }
  return best;
}

interface Suspect {
  test: string;
  files: string[];
}

function suspects(spec: AppSpec, report: TestReport, generated: ReadonlyMap<string, string>): Suspect[] {
  const failing = new Map<string, string | undefined>();
  for (const f of report.failures) failing.set(f.name, f.file);
  for (const c of report.cases) {
    if ((c.status === 'failed' || c.status === 'cancelled') && !failing.has(c.name))
      failing.set(c.name, c.file);
  }
  const out: Suspect[] = [...failing].map(([test, file]) => {
    const own = file === undefined ? undefined : generatedPathOf(file, generated);
    return { test, files: [...new Set([...(own ? [own] : []), ...filesForTest(spec, test)])] };
  });
  for (const error of report.parseErrors) {
    const path = generatedPathOf(error.file, generated);
    out.push({ test: `parse error in ${error.file}`, files: path ? [path] : [] });
  }
  return out;
}

export function repairApp(
  spec: AppSpec,
  report: TestReport,
  current: ReadonlyMap<string, string>,
): { files: SourceFile[]; diagnosis: RepairDiagnosis[] } {
  const generated = new Map(generateApp(spec).map((f) => [f.path, f.content]));
  const restored = new Map<string, string>();
  const diagnosis = suspects(spec, report, generated).map(({ test, files }): RepairDiagnosis => {
    const differing = files.filter((path) => current.get(path) !== generated.get(path));
    for (const path of differing) restored.set(path, generated.get(path)!);
    if (differing.length === 0) {
      const looked = files.length > 0 ? files.join(', ') : 'no generated file';
      return {
        test,
        files: [],
        cause: `no repair found: ${looked} match what the specification generates`,
      };
    }
    return {
      test,
      files: differing,
      cause: `${differing.join(', ')} differ from what the specification generates; restored`,
    };
  });
  const files = [...restored]
    .map(([path, content]) => ({ path, content }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, diagnosis };
}
