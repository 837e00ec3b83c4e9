import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ToolInvocation, ToolRecorder } from '../tool.ts';

/** Writes a small project into a fresh temp dir. */
export async function writeProject(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ideamine-fixture-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

export function collectingRecorder(): ToolRecorder & { invocations: ToolInvocation[] } {
  const invocations: ToolInvocation[] = [];
  return {
    invocations,
    record: async (invocation) => {
      invocations.push(invocation);
    },
    refused: async () => {},
  };
}
