import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SecretFinding, SecretScan } from '../../core/schemas/security-reports.ts';
import type { Tool } from '../tool.ts';
import { packageBin, packageVersion } from './installed-packages.ts';
import { nodeDriverPlan, WorkspaceToolInput } from './node-driver.ts';
import { ENTROPY_RULE } from './secret-entropy.ts';

/**
 * `secret-scan`: secretlint with its recommended preset, plus IdeaMine's entropy rule
 * (`secret-entropy.ts`), over the tracked files of the worktree (`git ls-files`) and over every blob
 * of the git history that differs from the worktree's files (`git rev-list --all --objects`). The
 * driver scans copies in the scratch dir, with `secretlint-disable` comments defused, and the
 * workspace is mounted read-only. The report holds masked secrets only: secretlint writes its
 * unmasked result to a private file that the driver deletes, and nothing it prints holds a secret.
 */

export const SecretScanInput = WorkspaceToolInput;
export type SecretScanInput = z.infer<typeof SecretScanInput>;

const DRIVER = fileURLToPath(new URL('./secret-scan-driver.mjs', import.meta.url));
const PRESET = '@secretlint/secretlint-rule-preset-recommend';

/** Bumped whenever the entropy rule's definition changes, so a report says which one ran. */
export const ENTROPY_RULE_VERSION = '1';

const DriverResult = z.union([
  z.object({ error: z.string() }),
  z.object({
    gitVersion: z.string(),
    scanned: SecretScan.shape.scanned,
    findings: z.array(SecretFinding),
  }),
]);

export const secretScan: Tool<SecretScanInput, SecretScan> = {
  id: 'secret-scan',
  version: () => packageVersion('secretlint'),
  input: SecretScanInput,
  output: SecretScan,
  async plan(input, ctx) {
    const spec = {
      workspace: ctx.workspace,
      secretlintBin: await packageBin('secretlint'),
      presetId: PRESET,
    };
    // Only the scratch dir is writable: a scan never changes the workspace.
    return { ...nodeDriverPlan(DRIVER, ctx, spec, input), writableDirs: [] };
  },
  reports: (output) => [{ type: 'SecretScan', content: output }],
  async parse(result, input, ctx) {
    let text: string;
    try {
      text = await readFile(join(ctx.scratchDir, 'secret-scan.json'), 'utf8');
    } catch {
      const why = result.timedOut
        ? 'it timed out'
        : `exit code ${result.exitCode}${result.signal ? `, signal ${result.signal}` : ''}`;
      throw new Error(`the secret-scan driver wrote no result (${why})\n${result.stderr}`.trim());
    }
    const driven = DriverResult.parse(JSON.parse(text));
    if ('error' in driven) throw new Error(`the secret scan failed: ${driven.error}`);
    if (result.timedOut) throw new Error('the secret scan timed out');
    return {
      tool: ctx.ref,
      versions: {
        secretlint: await packageVersion('secretlint'),
        [PRESET]: await packageVersion(PRESET),
        [ENTROPY_RULE]: ENTROPY_RULE_VERSION,
        git: driven.gitVersion,
        node: ctx.nodeVersion,
      },
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
      scanned: driven.scanned,
      findings: driven.findings,
    };
  },
};
