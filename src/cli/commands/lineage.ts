import type { Command } from 'commander';
import { ErrorCode, IdeaMineError, invalidInput } from '../../core/errors.ts';
import { describeLineage, renderLineageTree } from '../../observability/lineage.ts';
import type { Runtime } from '../../runtime.ts';
import { artifactLineage, findArtifactIds } from '../../storage/lineage-store.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine } from '../output.ts';
import { withRuntime } from '../with-runtime.ts';

const ID_OR_PREFIX = /^[0-9a-f-]{4,36}$/i;

interface LineageFlags {
  json?: boolean;
  down?: boolean;
  depth?: string;
}

/** `ideamine lineage <artifact>`: what an artifact was made from (or, with --down, what was made from it). */
export function registerLineageCommand(program: Command, cli: CliContext): void {
  program
    .command('lineage <artifact>')
    .description(
      'what an artifact was made from, recursively: producer, model, cost, hash and time of each (id or unique id prefix)',
    )
    .option('--down', 'the other way: every artifact made from this one')
    .option('--depth <n>', 'draw at most this many levels (the JSON always holds the whole lineage)')
    .option('--json', 'print one JSON object: root, direction and every artifact with its inputs')
    .action(async (artifact: string, flags: LineageFlags) => {
      const maxDepth = parseDepth(flags.depth);
      if (!ID_OR_PREFIX.test(artifact))
        throw invalidInput(
          `"${artifact}" is not an artifact id: give a full id or at least 4 of its leading characters`,
        );
      await withRuntime(cli, async (rt) => {
        const id = await resolveArtifactId(rt, artifact);
        const lineage = await artifactLineage(rt.db, id, flags.down ? 'descendants' : 'ancestors');
        if (!lineage) throw notFound(artifact);
        const report = describeLineage(lineage);
        if (flags.json) return printJson(report);
        for (const line of renderLineageTree(report, maxDepth)) printLine(line);
      });
    });
}

function parseDepth(raw: string | undefined): number {
  if (raw === undefined) return Number.POSITIVE_INFINITY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw invalidInput(`--depth: expected a whole number ≥ 0, got "${raw}"`);
  return n;
}

function notFound(artifact: string): IdeaMineError {
  return new IdeaMineError(
    ErrorCode.notFound,
    `no artifact matches "${artifact}" (artifact ids are in the dossier JSON and in ideamine events)`,
  );
}

async function resolveArtifactId(rt: Runtime, idOrPrefix: string): Promise<string> {
  const ids = await findArtifactIds(rt.db, idOrPrefix);
  if (ids.length === 0) throw notFound(idOrPrefix);
  if (ids.length > 1) throw invalidInput(`"${idOrPrefix}" matches several artifacts; give more of the id`);
  return ids[0] as string;
}
