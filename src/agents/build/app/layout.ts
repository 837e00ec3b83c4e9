import { parseAcceptanceTestName } from '../../../core/schemas/tool-reports.ts';
import type { AppSpec, ResourceSpec, StorySpec } from './spec.ts';

/**
 * Where each part of a generated program lives. The generator writes these paths and the repair
 * reads them back to decide which files a failing test implicates: one mapping, so the two cannot
 * disagree about who owns a file.
 */

export const PATHS = {
  app: 'src/app.js',
  http: 'src/http.js',
  server: 'src/server.js',
  store: 'src/store.js',
  validate: 'src/validate.js',
  cli: 'src/cli.js',
  serviceSupport: 'test/support/target.js',
  cliSupport: 'test/support/cli.js',
  appTest: 'test/app.test.js',
  cliTest: 'test/cli.test.js',
  validateTest: 'test/validate.test.js',
} as const;

export function binPath(spec: AppSpec): string {
  return `bin/${spec.name}.js`;
}

/** Module file of a resource: its routes (service) or subcommands (cli). */
export function resourceModulePath(resource: ResourceSpec): string {
  return `src/resources/${resource.plural}.js`;
}

export function unitTestPath(resource: ResourceSpec): string {
  return `test/${resource.plural}.test.js`;
}

export function acceptanceTestPath(resource: ResourceSpec): string {
  return `test/acceptance/${resource.plural}.test.js`;
}

/** The prefix of every unit test name of a resource: `UT-lists-`. */
export function unitTestPrefix(resource: ResourceSpec): string {
  return `UT-${resource.plural}-`;
}

export function storiesOfResource(spec: AppSpec, resource: ResourceSpec): StorySpec[] {
  return spec.stories.filter((s) => s.resource === resource.plural);
}

/** Files every request or command goes through: implicated by any failing test. */
export function sharedFiles(spec: AppSpec): string[] {
  return spec.kind === 'cli'
    ? [
        PATHS.cli,
        PATHS.store,
        PATHS.validate,
        binPath(spec),
        PATHS.cliSupport,
        PATHS.cliTest,
        PATHS.validateTest,
      ]
    : [
        PATHS.app,
        PATHS.http,
        PATHS.store,
        PATHS.validate,
        PATHS.serviceSupport,
        PATHS.appTest,
        PATHS.validateTest,
      ];
}

export function resourceFiles(spec: AppSpec, resource: ResourceSpec): string[] {
  const files = [resourceModulePath(resource), unitTestPath(resource)];
  if (storiesOfResource(spec, resource).length > 0) files.push(acceptanceTestPath(resource));
  return files;
}

/** The resource a test name is about: an acceptance test through its story, a unit test by prefix. */
export function resourceOfTest(spec: AppSpec, testName: string): ResourceSpec | undefined {
  const leaf = testName.split(' > ').at(-1) ?? testName;
  const acceptance = parseAcceptanceTestName(leaf);
  if (acceptance !== undefined) {
    const story = spec.stories.find((s) => s.id === acceptance.storyId);
    return spec.resources.find((r) => r.plural === story?.resource);
  }
  return spec.resources.find((r) => leaf.startsWith(unitTestPrefix(r)));
}

/** Files a failing test implicates: its resource's files (if any) and the shared ones. */
export function filesForTest(spec: AppSpec, testName: string): string[] {
  const resource = resourceOfTest(spec, testName);
  return [...(resource ? resourceFiles(spec, resource) : []), ...sharedFiles(spec)];
}
