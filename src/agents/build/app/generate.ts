import {
  acceptanceTestPath,
  binPath,
  PATHS,
  resourceModulePath,
  storiesOfResource,
  unitTestPath,
} from './layout.ts';
import type { AppSpec } from './spec.ts';
import { binJs, cliJs, cliResourceJs } from './templates/cli.ts';
import { cliAcceptanceTestJs, cliSharedTestJs, cliSupportJs, cliUnitTestJs } from './templates/cli-tests.ts';
import { gitignore, nvmrc, packageJson, readme } from './templates/project.ts';
import { storeJs, validateJs } from './templates/runtime.ts';
import { appJs, httpJs, serverJs, serviceResourceJs } from './templates/service.ts';
import {
  acceptanceTestJs,
  appTestJs,
  targetJs,
  unitTestJs,
  validateTestJs,
} from './templates/service-tests.ts';
import { indexHtml, styleCss, webAppJs } from './templates/web.ts';

export interface SourceFile {
  /** Relative POSIX path. */
  path: string;
  content: string;
}

/**
 * The program an `AppSpec` describes, as files. Pure and deterministic (no clock, no randomness):
 * the same spec always gives byte-identical files, which is what lets `repairApp` restore a file by
 * regenerating it.
 */
export function generateApp(spec: AppSpec): SourceFile[] {
  const files = new Map<string, string>([
    ['package.json', packageJson(spec)],
    ['.gitignore', gitignore()],
    ['.nvmrc', nvmrc()],
    ['README.md', readme(spec)],
    [PATHS.store, storeJs(spec)],
    [PATHS.validate, validateJs(spec)],
    [PATHS.validateTest, validateTestJs(spec)],
  ]);
  if (spec.kind === 'service') addService(spec, files);
  else addCli(spec, files);
  return [...files]
    .map(([path, content]) => ({ path, content }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function addService(spec: AppSpec, files: Map<string, string>): void {
  files.set(PATHS.http, httpJs());
  files.set(PATHS.app, appJs(spec));
  files.set(PATHS.server, serverJs());
  files.set(PATHS.serviceSupport, targetJs());
  files.set(PATHS.appTest, appTestJs(spec));
  files.set('public/index.html', indexHtml(spec));
  files.set('public/app.js', webAppJs(spec));
  files.set('public/style.css', styleCss());
  for (const resource of spec.resources) {
    files.set(resourceModulePath(resource), serviceResourceJs(spec, resource));
    files.set(unitTestPath(resource), unitTestJs(resource));
    if (storiesOfResource(spec, resource).length > 0) {
      files.set(acceptanceTestPath(resource), acceptanceTestJs(spec, resource));
    }
  }
}

function addCli(spec: AppSpec, files: Map<string, string>): void {
  files.set(PATHS.cli, cliJs(spec));
  files.set(binPath(spec), binJs());
  files.set(PATHS.cliSupport, cliSupportJs(spec));
  files.set(PATHS.cliTest, cliSharedTestJs(spec));
  for (const resource of spec.resources) {
    files.set(resourceModulePath(resource), cliResourceJs(resource));
    files.set(unitTestPath(resource), cliUnitTestJs(resource));
    if (storiesOfResource(spec, resource).length > 0) {
      files.set(acceptanceTestPath(resource), cliAcceptanceTestJs(spec, resource));
    }
  }
}
