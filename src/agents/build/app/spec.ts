import type { AgentInput } from '../../../core/agent.ts';
import { dataModel, deriveEndpoints, resourcePath } from '../../architecture/agents.ts';
import { ApiSpec, DataModel } from '../../architecture/schemas.ts';
import { IdeaClassification } from '../../intake/schemas.ts';
import { storiesOf, testIdFor } from '../../prd/derive.ts';
import { UserStories, type UserStory } from '../../prd/schemas.ts';
import { readArtifact } from '../../shared/artifacts.ts';
import { type IdeaProfile, profileIdea } from '../../shared/profile.ts';

/**
 * What the application generator needs to know about a run, read from its PRD and architecture
 * artifacts: a pure value, so that the same run always yields the same program.
 */

export type FieldType = 'text' | 'number' | 'boolean' | 'date' | 'timestamp' | 'uuid';

export interface FieldSpec {
  /** A JavaScript and SQL identifier (`pricePerDayCents`). */
  name: string;
  type: FieldType;
  required: boolean;
}

export interface ResourceSpec {
  /** The DataModel entity it stores (`List`). */
  name: string;
  /** The last path segment (`lists`): also the resource's key in file names and test ids. */
  plural: string;
  /** `/api/v1/lists`. */
  path: string;
  fields: FieldSpec[];
}

export type CriterionKind = 'create' | 'search' | 'invalid' | 'forbidden' | 'conflict' | 'unknown';

export interface CriterionSpec {
  /** `AC-1.1.1`. */
  id: string;
  /** `TC-1.1.1`. */
  testId: string;
  /** "Given …, when …, then …", on one line. */
  text: string;
  kind: CriterionKind;
}

export type Operation = 'create' | 'list' | 'get' | 'update' | 'delete';

export interface StorySpec {
  /** `US-1.1`. */
  id: string;
  title: string;
  /** The `plural` of the resource it acts on. */
  resource: string;
  /** The operations its criteria exercise: each is a route (or a subcommand) of its resource. */
  operations: Operation[];
  criteria: CriterionSpec[];
}

export interface AppSpec {
  /** A slug: package name, CLI binary name. */
  name: string;
  title: string;
  kind: 'service' | 'cli';
  resources: ResourceSpec[];
  stories: StorySpec[];
}

/** Fields the program manages itself: a user never sends them. */
const SYSTEM_FIELD = /^(id|owner_?id|created_?at|updated_?at|deleted_?at|version|owner)$/i;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*$/;
const RESOURCE_PATH = /^\/api\/v1\/([a-z][a-z0-9-]*)$/;
/** Paths the generated service keeps for itself. */
const RESERVED_PLURALS = new Set(['audit', 'health', 'healthz']);
const CLI_WORDS = /\b(command[- ]line|cli|terminal (tool|app|utility)|shell (tool|utility))\b/i;

export function fieldTypeOf(sqlType: string): FieldType {
  const t = sqlType.toLowerCase();
  if (/^(int|integer|bigint|smallint|numeric|decimal|float|double|real|money|number)/.test(t))
    return 'number';
  if (/^bool/.test(t)) return 'boolean';
  if (t === 'date') return 'date';
  if (/^(timestamp|timestamptz|datetime)/.test(t)) return 'timestamp';
  if (t === 'uuid') return 'uuid';
  return 'text';
}

/** The criterion templates of the offline PRD (`criteria()` in prd/derive.ts); anything else is unknown. */
export function classifyCriterion(expected: string): CriterionKind {
  const t = expected.toLowerCase();
  // "nothing is saved" also contains "is saved": the invalid template must win.
  if (/field-level error|nothing is saved/.test(t)) return 'invalid';
  if (/\b403\b|refused/.test(t)) return 'forbidden';
  if (/newer version|overwritten/.test(t)) return 'conflict';
  if (/matching results appear|newest first/.test(t)) return 'search';
  if (/saved and visible/.test(t)) return 'create';
  return 'unknown';
}

const OPERATIONS_OF: Record<CriterionKind, Operation[]> = {
  create: ['create', 'get'],
  search: ['list'],
  invalid: ['create'],
  forbidden: ['update', 'delete'],
  conflict: ['update'],
  unknown: [],
};

/** One line, no TAP directive characters: the test runner's output must round-trip the name. */
function oneLine(text: string): string {
  return text.replace(/[#\\]/g, ' ').replace(/\s+/g, ' ').trim();
}

function isCli(input: AgentInput, p: IdeaProfile): boolean {
  const c = readArtifact(input, 'IdeaClassification', IdeaClassification);
  const text = [input.idea.title, input.idea.description, c?.subject ?? p.subject, ...(c?.keywords ?? [])];
  return CLI_WORDS.test(text.join(' '));
}

function resourcesOf(
  input: AgentInput,
  p: IdeaProfile,
): { resources: ResourceSpec[]; endpoints: ApiSpec['endpoints'] } {
  const endpoints =
    readArtifact(input, 'ApiSpec', ApiSpec)?.endpoints ?? deriveEndpoints(input, p, p.features);
  const entities = (readArtifact(input, 'DataModel', DataModel) ?? dataModel.offline(input)).entities;
  const byPath = new Map<string, ResourceSpec>();
  for (const endpoint of endpoints) {
    const path = endpoint.path.replace(/\/\{[^}]+\}$/, '');
    const plural = RESOURCE_PATH.exec(path)?.[1];
    if (plural === undefined || RESERVED_PLURALS.has(plural) || byPath.has(path)) continue;
    const entity = entities.find((e) => resourcePath(e.name) === path);
    // An endpoint that stores nothing and serves no story (a probe, say) is not a resource.
    if (entity === undefined && !endpoints.some((e) => e.path.startsWith(path) && e.storyIds.length > 0))
      continue;
    byPath.set(path, { name: entity?.name ?? pascal(plural), plural, path, fields: fieldsOf(entity) });
  }
  if (byPath.size === 0) {
    byPath.set('/api/v1/records', {
      name: 'Record',
      plural: 'records',
      path: '/api/v1/records',
      fields: fieldsOf(undefined),
    });
  }
  return { resources: [...byPath.values()], endpoints };
}

function pascal(slug: string): string {
  return slug
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function fieldsOf(entity: DataModel['entities'][number] | undefined): FieldSpec[] {
  const fields: FieldSpec[] = [];
  for (const f of entity?.fields ?? []) {
    if (SYSTEM_FIELD.test(f.name) || !IDENTIFIER.test(f.name)) continue;
    if (fields.some((x) => x.name === f.name)) continue;
    fields.push({ name: f.name, type: fieldTypeOf(f.type), required: f.required });
  }
  // Search (`?q=`) and the web form need one text field to work on.
  if (!fields.some((f) => f.type === 'text')) fields.unshift({ name: 'name', type: 'text', required: true });
  return fields;
}

function storySpec(story: UserStory, resource: string): StorySpec {
  const criteria = story.acceptanceCriteria.map((c) => ({
    id: c.id,
    testId: testIdFor(c.id),
    text: oneLine(`Given ${c.given}, when ${c.when}, then ${c.expected}`),
    kind: classifyCriterion(c.expected),
  }));
  const operations = new Set(criteria.flatMap((c) => OPERATIONS_OF[c.kind]));
  const order: Operation[] = ['create', 'list', 'get', 'update', 'delete'];
  return {
    id: story.id,
    title: oneLine(story.title),
    resource,
    operations: order.filter((o) => operations.has(o)),
    criteria,
  };
}

/** Reads the run's artifacts, deriving what is missing the way the upstream agents would. */
export function appSpecFrom(input: AgentInput): AppSpec {
  const p = profileIdea(input.idea);
  const { resources, endpoints } = resourcesOf(input, p);
  const stories = readArtifact(input, 'UserStories', UserStories)?.stories ?? storiesOf(input, p);
  const pluralOfPath = new Map(resources.map((r) => [r.path, r.plural]));
  const fallback = resources[0]!.plural;
  return {
    name: p.slug,
    title: p.title,
    kind: isCli(input, p) ? 'cli' : 'service',
    resources,
    stories: stories.map((story) => {
      const served = endpoints.find(
        (e) => e.storyIds.includes(story.id) && pluralOfPath.has(e.path.replace(/\/\{[^}]+\}$/, '')),
      );
      const resource = served ? pluralOfPath.get(served.path.replace(/\/\{[^}]+\}$/, ''))! : fallback;
      return storySpec(story, resource);
    }),
  };
}
