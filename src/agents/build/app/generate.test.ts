import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCEPTANCE_TEST_NAME, type TestReport } from '../../../core/schemas/tool-reports.ts';
import { SourceTree } from '../schemas.ts';
import { bareInputFor, buildInputFor, FIXTURE_IDEAS } from './fixtures.ts';
import { generateApp } from './generate.ts';
import { filesForTest, resourceFiles, sharedFiles } from './layout.ts';
import { repairApp } from './repair.ts';
import { type AppSpec, appSpecFrom, classifyCriterion } from './spec.ts';

const IDEAS = Object.entries(FIXTURE_IDEAS) as [
  keyof typeof FIXTURE_IDEAS,
  (typeof FIXTURE_IDEAS)[keyof typeof FIXTURE_IDEAS],
][];
const specs = new Map(IDEAS.map(([key, idea]) => [key, appSpecFrom(buildInputFor(idea))]));
const specOf = (key: keyof typeof FIXTURE_IDEAS): AppSpec => specs.get(key)!;

function treeDigest(spec: AppSpec): Record<string, string> {
  return Object.fromEntries(
    generateApp(spec).map((f) => [f.path, createHash('sha256').update(f.content).digest('hex')]),
  );
}

function routesOf(spec: AppSpec): string[] {
  return spec.resources.map((r) => r.path);
}

function report(failing: string[], parseErrors: TestReport['parseErrors'] = []): TestReport {
  return {
    tool: 'test-runner@24',
    command: 'node --test',
    exitCode: 1,
    passed: 0,
    failed: failing.length,
    skipped: 0,
    todo: 0,
    total: failing.length,
    durationMs: 1,
    cases: failing.map((name) => ({ name, status: 'failed' as const, durationMs: 1 })),
    failures: failing.map((name) => ({ name, message: 'assertion failed' })),
    parseErrors,
  };
}

describe('appSpecFrom', () => {
  it('reads the kind from the idea: a command-line tool is a cli, the others services', () => {
    expect(specOf('todo').kind).toBe('service');
    expect(specOf('camping').kind).toBe('service');
    expect(specOf('reading').kind).toBe('cli');
  });

  it('binds each API resource to its DataModel entity, without system fields', () => {
    const listings = specOf('camping').resources.find((r) => r.plural === 'listings');
    expect(listings?.name).toBe('Listing');
    expect(listings?.fields.map((f) => [f.name, f.type])).toEqual([
      ['title', 'text'],
      ['pricePerDayCents', 'number'],
      ['location', 'text'],
    ]);
    for (const spec of specs.values()) {
      for (const r of spec.resources) {
        expect(r.path).toBe(`/api/v1/${r.plural}`);
        expect(r.fields.map((f) => f.name)).not.toContain('id');
        expect(r.fields.map((f) => f.name)).not.toContain('ownerId');
        expect(r.fields.some((f) => f.type === 'text')).toBe(true);
      }
    }
  });

  it('gives every story a resource, operations and classified criteria with TC ids', () => {
    for (const spec of specs.values()) {
      for (const story of spec.stories) {
        expect(spec.resources.map((r) => r.plural)).toContain(story.resource);
        expect(story.operations.length).toBeGreaterThan(0);
        for (const c of story.criteria) {
          expect(c.testId).toBe(c.id.replace(/^AC-/, 'TC-'));
          expect(c.kind).not.toBe('unknown');
          expect(ACCEPTANCE_TEST_NAME.test(`${c.testId} [${story.id}] ${c.text}`)).toBe(true);
        }
      }
    }
  });

  it('classifies the offline PRD templates and nothing else', () => {
    expect(classifyCriterion('it is saved and visible to small teams within 2 seconds')).toBe('create');
    expect(classifyCriterion('the matching results appear within 2 seconds, newest first')).toBe('search');
    expect(classifyCriterion('a field-level error explains what to fix and nothing is saved')).toBe(
      'invalid',
    );
    expect(classifyCriterion('the request is refused with 403 and the attempt is logged')).toBe('forbidden');
    expect(classifyCriterion('they see the newer version and nothing is overwritten silently')).toBe(
      'conflict',
    );
    expect(classifyCriterion('an email arrives within a minute')).toBe('unknown');
  });

  it('derives the same spec when the upstream artifacts are missing', () => {
    for (const [key, idea] of IDEAS) expect(appSpecFrom(bareInputFor(idea))).toEqual(specOf(key));
  });
});

describe('generateApp', () => {
  it.each(IDEAS.map(([key]) => key))('%s matches its golden tree', (key) => {
    const golden = new URL(`./golden/${key}.json`, import.meta.url);
    const digest = treeDigest(specOf(key));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, `${JSON.stringify(digest, null, 2)}\n`);
    expect(digest).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });

  it('is deterministic and sorted, with schema-valid relative paths', () => {
    for (const [key, idea] of IDEAS) {
      const files = generateApp(appSpecFrom(buildInputFor(idea)));
      expect(files).toEqual(generateApp(specOf(key)));
      expect(files.map((f) => f.path)).toEqual([...files.map((f) => f.path)].sort());
      expect(SourceTree.safeParse({ kind: specOf(key).kind, files }).error).toBeUndefined();
    }
  });

  it('gives different ideas different resources, routes and tests', () => {
    expect(routesOf(specOf('todo'))).not.toEqual(routesOf(specOf('camping')));
    const paths = (key: keyof typeof FIXTURE_IDEAS) => generateApp(specOf(key)).map((f) => f.path);
    expect(paths('todo')).toContain('test/acceptance/lists.test.js');
    expect(paths('camping')).toContain('test/acceptance/listings.test.js');
    expect(paths('camping')).not.toContain('test/acceptance/lists.test.js');
    expect(paths('reading')).toContain('bin/readlog.js');
  });

  it('writes one acceptance test per criterion and routes every story operation', () => {
    for (const spec of specs.values()) {
      const text = generateApp(spec)
        .filter((f) => f.path.startsWith('test/acceptance/'))
        .map((f) => f.content)
        .join('\n');
      for (const story of spec.stories) {
        for (const c of story.criteria)
          expect(text).toContain(JSON.stringify(`${c.testId} [${story.id}] ${c.text}`));
      }
    }
    const lists = generateApp(specOf('todo')).find((f) => f.path === 'src/resources/lists.js')!.content;
    expect(lists).toMatch(
      /method: 'POST',\n\s+path: resource.path,\n\s+auth: true,\n\s+stories: \['US-1.1'\]/,
    );
    expect(lists).toMatch(/method: 'PATCH',[\s\S]*?stories: \['US-1.2'\]/);
  });

  it('marks a criterion it cannot implement as todo, never as a pass', () => {
    const spec = structuredClone(specOf('todo'));
    spec.stories[0]!.criteria[0] = {
      ...spec.stories[0]!.criteria[0]!,
      kind: 'unknown',
      text: 'Given x, when y, then z',
    };
    const file = generateApp(spec).find((f) => f.path === 'test/acceptance/lists.test.js')!.content;
    expect(file).toContain(`test.todo("TC-1.1.1 [US-1.1] Given x, when y, then z");`);
  });
});

describe('repairApp', () => {
  const spec = specOf('todo');
  const pristine = new Map(generateApp(spec).map((f) => [f.path, f.content]));
  const broken = new Map(pristine);
  broken.set(
    'src/resources/lists.js',
    pristine.get('src/resources/lists.js')!.replace('status: 201', 'status: 200'),
  );
  const failing = 'TC-1.1.1 [US-1.1] Given a signed-in team lead, when they organize a todo list, then …';

  it('maps a failing test to its resource files and the shared ones', () => {
    const lists = spec.resources.find((r) => r.plural === 'lists')!;
    expect(filesForTest(spec, failing)).toEqual([...resourceFiles(spec, lists), ...sharedFiles(spec)]);
    expect(filesForTest(spec, 'UT-items-create returns 201')).toContain('src/resources/items.js');
    expect(filesForTest(spec, 'UT-app-healthz answers 200')).toEqual(sharedFiles(spec));
  });

  it('restores the implicated file that differs from the generated one', () => {
    const repair = repairApp(spec, report([failing, 'UT-lists-create returns 201']), broken);
    expect(repair.files).toEqual([
      { path: 'src/resources/lists.js', content: pristine.get('src/resources/lists.js') },
    ]);
    expect(repair.diagnosis.map((d) => d.files)).toEqual([
      ['src/resources/lists.js'],
      ['src/resources/lists.js'],
    ]);
  });

  it('restores a file that does not parse', () => {
    const garbled = new Map(pristine).set('src/http.js', 'export function (');
    const repair = repairApp(
      spec,
      report([], [{ file: '/tmp/ws/src/http.js', line: 1, message: 'Unexpected token' }]),
      garbled,
    );
    expect(repair.files.map((f) => f.path)).toEqual(['src/http.js']);
  });

  it('returns no files when nothing implicated differs', () => {
    const elsewhere = repairApp(spec, report(['UT-items-create returns 201']), broken);
    expect(elsewhere.files).toEqual([]);
    expect(elsewhere.diagnosis[0]?.cause).toMatch(/^no repair found/);
    expect(repairApp(spec, report([failing]), pristine).files).toEqual([]);
  });
});
