import type { SourceTree } from '../../src/agents/build/schemas.ts';
import type { Fault } from './faulty-model.ts';

/**
 * TEST-ONLY faults that write real defects into the code the build produces. The defect is in the
 * files committed to the workspace; the gates see it only through the tests the tools run there.
 */

type Files = SourceTree['files'];

/** The first resource module of the generated service (`src/resources/<plural>.js`). */
function firstResource(files: Files): Files[number] {
  const file = [...files]
    .sort((a, b) => a.path.localeCompare(b.path))
    .find((f) => f.path.startsWith('src/resources/'));
  if (!file) throw new Error('code fault: the source tree has no src/resources/*.js');
  return file;
}

function replaceOnce(file: Files[number], from: string, to: string): void {
  if (!file.content.includes(from)) throw new Error(`code fault: "${from}" not found in ${file.path}`);
  file.content = file.content.replace(from, to);
}

/** A broken handler: DELETE answers 200 with a body instead of 204 (a wrong status code). */
export function wrongDeleteStatus(calls: Fault['calls'] = 'first'): Fault {
  return {
    agentId: 'build.coder',
    calls,
    mutate(output) {
      const tree = output as SourceTree;
      replaceOnce(
        firstResource(tree.files),
        'return { status: 204 };',
        'return { status: 200, body: { deleted: true } };',
      );
      return tree;
    },
  };
}

/** A file that does not parse: a stray brace in the first resource module. */
export function syntaxError(calls: Fault['calls'] = 'first'): Fault {
  return {
    agentId: 'build.coder',
    calls,
    mutate(output) {
      const tree = output as SourceTree;
      replaceOnce(
        firstResource(tree.files),
        'export function routes(store) {',
        'export function routes(store) {{',
      );
      return tree;
    },
  };
}

/**
 * A page script that does not parse (`const RESOURCES = {{`). The service never loads it, so the
 * acceptance run passes; only the test runner's parse check sees it.
 */
export function brokenPageScript(calls: Fault['calls'] = 'first'): Fault {
  return {
    agentId: 'build.coder',
    calls,
    mutate(output) {
      const tree = output as SourceTree;
      const page = tree.files.find((f) => f.path === 'public/app.js');
      if (!page) throw new Error('code fault: the source tree has no public/app.js');
      replaceOnce(page, 'const RESOURCES = {', 'const RESOURCES = {{');
      return tree;
    },
  };
}

/** A fixer that changes nothing: the repair it found never reaches the workspace. */
export function uselessFixer(agentId: 'qa.fixer' | 'story-loop.fixer'): Fault {
  return {
    agentId,
    calls: 'all',
    mutate: () => ({ files: [], diagnosis: [] }),
  };
}

export const CODE_FAULTS: Record<string, () => Fault> = {
  'wrong-delete-status': () => wrongDeleteStatus(),
  'syntax-error': () => syntaxError(),
  'broken-page-script': () => brokenPageScript(),
  'useless-qa-fixer': () => uselessFixer('qa.fixer'),
  'useless-story-fixer': () => uselessFixer('story-loop.fixer'),
};
