import type { SourceTree } from '../../src/agents/build/schemas.ts';
import type { Fault } from './faulty-model.ts';

/**
 * TEST-ONLY faults that write real defects into the code the build produces. The defect is in the
 * files committed to the workspace; the gates see it only through the tests the tools run there.
 */

type Files = SourceTree['files'];

function fileAt(files: Files, path: string): Files[number] {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`code fault: the source tree has no ${path}`);
  return file;
}

/** The first resource module of the generated service (`src/resources/<plural>.js`). */
function firstResource(files: Files): Files[number] {
  const path = files
    .map((f) => f.path)
    .sort()
    .find((p) => p.startsWith('src/resources/'));
  if (!path) throw new Error('code fault: the source tree has no src/resources/*.js');
  return fileAt(files, path);
}

/** A fault on the coder's output: one text replaced, once, in the file `pick` chooses. */
function codeEdit(
  calls: Fault['calls'],
  pick: (files: Files) => Files[number],
  from: string,
  to: string,
): Fault {
  return {
    agentId: 'build.coder',
    calls,
    mutate(output) {
      const tree = output as SourceTree;
      const file = pick(tree.files);
      if (!file.content.includes(from)) throw new Error(`code fault: "${from}" not found in ${file.path}`);
      file.content = file.content.replace(from, to);
      return tree;
    },
  };
}

/** A broken handler: DELETE answers 200 with a body instead of 204 (a wrong status code). */
export const wrongDeleteStatus = (calls: Fault['calls'] = 'first'): Fault =>
  codeEdit(
    calls,
    firstResource,
    'return { status: 204 };',
    'return { status: 200, body: { deleted: true } };',
  );

/** A file that does not parse: a stray brace in the first resource module. */
export const syntaxError = (calls: Fault['calls'] = 'first'): Fault =>
  codeEdit(calls, firstResource, 'export function routes(store) {', 'export function routes(store) {{');

/**
 * A page script that does not parse (`const RESOURCES = {{`). The service never loads it, so the
 * acceptance run passes; only the test runner's parse check sees it.
 */
export const brokenPageScript = (calls: Fault['calls'] = 'first'): Fault =>
  codeEdit(calls, (files) => fileAt(files, 'public/app.js'), 'const RESOURCES = {', 'const RESOURCES = {{');

/**
 * An image without a text alternative on the home page (WCAG 1.1.1): the app still works and its tests
 * pass; only the accessibility check in Chromium sees it (axe rule image-alt, impact critical).
 */
export const imageWithoutAlt = (calls: Fault['calls'] = 'first'): Fault =>
  codeEdit(
    calls,
    (files) => fileAt(files, 'public/index.html'),
    '<main id="main">',
    '<main id="main">\n      <img src="/logo.png" width="64" height="64">',
  );

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
  'image-without-alt': () => imageWithoutAlt(),
  'useless-qa-fixer': () => uselessFixer('qa.fixer'),
  'useless-story-fixer': () => uselessFixer('story-loop.fixer'),
};
