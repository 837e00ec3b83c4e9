import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type ConfigProblem, configError, displayPath, formatPath, issueReasons } from './config-problems.ts';
import { crossFieldProblems, mergePhaseYaml, type PhaseConfig, toPhaseConfig } from './phase-config.ts';
import { type PhaseFile, PhaseFileSchema, PhaseOverrideSchema } from './phase-file-schema.ts';
import { comparePhaseNames, findCycle, type PhaseDeps, phaseLevels } from './phase-graph.ts';
import { listYamlFiles, readYamlFile, type YamlFile } from './yaml-file.ts';

/** The phase files shipped with the package (`config/phases/` at the package root). */
export const BUILTIN_PHASES_DIR = fileURLToPath(new URL('../../config/phases/', import.meta.url));

export interface LoadPhaseConfigsOptions {
  /** Defaults to the package's own `config/phases/`. */
  builtinDir?: string;
  /** A directory of user files: `<phase>.yaml` overrides a builtin phase or adds a new one. */
  userDir?: string;
}

export interface PhaseConfigSet {
  /** Every phase in execution order: level by level, canonical order within a level. */
  phases: readonly PhaseConfig[];
  /** The dependency DAG as levels; phases of one level may run in parallel. */
  levels: readonly (readonly string[])[];
  byName: ReadonlyMap<string, PhaseConfig>;
}

interface Candidate {
  data: Record<string, unknown>;
  /** The files it came from; the last one is blamed for problems found after merging. */
  files: YamlFile[];
}

/**
 * Loads, merges and validates the phase configs. Everything wrong with them is collected first
 * and thrown as one IdeaMineError (INVALID_CONFIG) listing each problem by file, field and line.
 */
export async function loadPhaseConfigs(options: LoadPhaseConfigsOptions = {}): Promise<PhaseConfigSet> {
  const problems: ConfigProblem[] = [];
  const candidates = new Map<string, Candidate>();

  for (const file of await readDir(options.builtinDir ?? BUILTIN_PHASES_DIR, 'builtin phase', problems)) {
    if (validateFile(file, file.data, true, problems))
      candidates.set(file.name, { data: file.data, files: [file] });
  }
  if (options.userDir !== undefined) {
    for (const file of await readDir(options.userDir, 'user phase', problems)) {
      const base = candidates.get(file.name);
      if (!base) {
        if (validateFile(file, file.data, true, problems))
          candidates.set(file.name, { data: file.data, files: [file] });
        continue;
      }
      if (!validateFile(file, file.data, false, problems)) continue;
      const merged = { ...mergePhaseYaml(base.data, file.data), phase: file.name };
      if (validateFile(file, merged, true, problems))
        candidates.set(file.name, { data: merged, files: [...base.files, file] });
    }
  }
  if (problems.length > 0) throw configError(problems);

  const configs = new Map<string, PhaseConfig>();
  for (const [name, candidate] of candidates) {
    const file = PhaseFileSchema.parse(candidate.data) as PhaseFile;
    configs.set(
      name,
      toPhaseConfig(
        file,
        candidate.files.map((f) => f.file),
      ),
    );
  }
  checkGraph(configs, candidates, problems);
  if (problems.length > 0) throw configError(problems);

  const deps: PhaseDeps = new Map([...configs].map(([name, config]) => [name, config.dependsOn]));
  const levels = phaseLevels(deps);
  const phases = levels.flat().map((name) => configs.get(name) as PhaseConfig);
  return { phases, levels, byName: configs };
}

async function readDir(dir: string, what: string, problems: ConfigProblem[]): Promise<YamlFile[]> {
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    problems.push({ file: displayPath(dir), path: '', message: `${what} directory not found` });
    return [];
  }
  const files: YamlFile[] = [];
  const names = new Set<string>();
  for (const path of await listYamlFiles(dir)) {
    const file = await readYamlFile(path, problems);
    if (!file) continue;
    if (names.has(file.name)) {
      problems.push({
        file: file.file,
        path: '',
        message: `phase "${file.name}" is defined twice in this directory`,
      });
      continue;
    }
    names.add(file.name);
    files.push(file);
  }
  return files;
}

/** Validates a complete phase (`complete`) or a partial override; records problems, returns ok. */
function validateFile(file: YamlFile, data: unknown, complete: boolean, problems: ConfigProblem[]): boolean {
  const before = problems.length;
  const add = (path: (string | number)[], message: string): void => {
    const line = file.lineOf(path);
    problems.push({
      file: file.file,
      path: formatPath(path),
      message,
      ...(line === undefined ? {} : { line }),
    });
  };
  const result = (complete ? PhaseFileSchema : PhaseOverrideSchema).safeParse(data);
  if (!result.success) {
    for (const reason of issueReasons(result.error.issues, data)) add(reason.path, reason.message);
    return false;
  }
  const phase = result.data.phase;
  if (phase !== undefined && phase !== file.name) {
    add(['phase'], `"${phase}" does not match the file name (expected "${file.name}")`);
  }
  if (complete) {
    for (const problem of crossFieldProblems(result.data as PhaseFile)) add(problem.path, problem.message);
  }
  return problems.length === before;
}

function checkGraph(
  configs: ReadonlyMap<string, PhaseConfig>,
  candidates: ReadonlyMap<string, Candidate>,
  problems: ConfigProblem[],
): void {
  const blame = (phase: string, path: (string | number)[], message: string): void => {
    const files = candidates.get(phase)?.files ?? [];
    // The last file that set depends_on is the one to fix.
    const file = [...files].reverse().find((f) => 'depends_on' in f.data) ?? files[files.length - 1];
    if (!file) return;
    const line = file.lineOf(path);
    problems.push({
      file: file.file,
      path: formatPath(path),
      message,
      ...(line === undefined ? {} : { line }),
    });
  };
  const known = [...configs.keys()].sort(comparePhaseNames);
  for (const [name, config] of configs) {
    config.dependsOn.forEach((dep, index) => {
      if (!configs.has(dep))
        blame(name, ['depends_on', index], `unknown phase "${dep}" (known: ${known.join(', ')})`);
    });
  }
  const cycle = findCycle(new Map([...configs].map(([name, config]) => [name, config.dependsOn])));
  if (cycle) {
    const first = cycle[0] as string;
    blame(first, ['depends_on'], `dependency cycle: ${cycle.join(' → ')}`);
  }
}
