import type { AgentInput } from '../../core/agent.ts';
import { TechStack } from '../ideation/schemas.ts';
import { storiesOf, useCasesOf } from '../prd/derive.ts';
import type { UserStory } from '../prd/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type Feature, type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { humanize, plural, slugify } from '../shared/text.ts';
import { ADRs, ApiSpec, ArchitectureSpec, type Component, DataModel, type Endpoint } from './schemas.ts';

const UPSTREAM = ['IdeaSpec', 'TechStack', 'PRD', 'UserStories', 'NFRs', 'UxFlows', 'RTM'];

export function resourcePath(entity: string): string {
  return `/api/v1/${slugify(plural(humanize(entity)))}`;
}

function component(
  id: string,
  name: string,
  kind: Component['kind'],
  responsibility: string,
  dependsOn: string[] = [],
  features: string[] = [],
): Component {
  return { id, name, kind, responsibility, dependsOn, features };
}

/** A module per feature, fronted by a gateway. */
export function deriveComponents(p: IdeaProfile): Component[] {
  const modules = p.features.map((f) =>
    component(
      `mod-${f.key}`,
      `${f.name} module`,
      'module',
      `${f.summary}; owns ${humanize(f.entity)} records.`,
      ['postgres'],
      [f.key],
    ),
  );
  const needsPayments = p.features.some((f) => f.key === 'payments' || f.key === 'payouts');
  return [
    component('web', 'Web client', 'frontend', `Responsive UI for ${p.audience}.`, ['api']),
    component(
      'api',
      'API gateway',
      'gateway',
      'Authentication, validation, rate limits, routing.',
      modules.map((m) => m.id),
    ),
    ...modules,
    component('worker', 'Background worker', 'worker', 'Notifications, exports and scheduled jobs.', [
      'postgres',
    ]),
    component(
      'postgres',
      'PostgreSQL',
      'datastore',
      `System of record for ${p.entities.slice(0, 4).join(', ')}.`,
    ),
    component('idp', 'Identity provider (OIDC)', 'external', 'Sign-in and MFA.'),
    ...(needsPayments
      ? [
          component(
            'payments',
            'Payment provider',
            'external',
            'Card payments and payouts.',
            [],
            ['payments'],
          ),
        ]
      : []),
  ];
}

export const systemDesign = defineAgent({
  id: 'architecture.system-design',
  purpose: 'System design: components, their responsibilities and dependencies, and the main data flows.',
  reads: UPSTREAM,
  produces: 'ArchitectureSpec',
  tools: ['diagram-render'],
  role:
    'You are a software architect. You prefer a modular monolith until scale forces otherwise, draw clear ' +
    'module boundaries around features, and keep external services at the edge.',
  task: 'Design the system architecture for the idea from its PRD, NFRs and tech stack.',
  rules: [
    'Every component id referenced in `dependsOn` or `dataFlows` exists.',
    'Each PRD feature belongs to exactly one module.',
  ],
  outputSchema: ArchitectureSpec,
  offline(input) {
    const p = profileIdea(input.idea);
    const components = deriveComponents(p);
    const ids = new Set(components.map((c) => c.id));
    const flows = [
      { from: 'web', to: 'api', data: `${p.subject} requests over HTTPS` },
      { from: 'api', to: 'idp', data: 'OIDC tokens' },
      ...components
        .filter((c) => c.kind === 'module')
        .map((c) => ({ from: c.id, to: 'postgres', data: c.responsibility.split(';')[0] ?? c.name })),
    ].filter((f) => ids.has(f.from) && ids.has(f.to));
    return {
      style: 'Modular monolith behind an API gateway, with a background worker',
      summary: `${p.title} serves ${p.audience} through ${components.filter((c) => c.kind === 'module').length} feature modules sharing one PostgreSQL database.`,
      components,
      dataFlows: flows,
    };
  },
});

function featureOfStory(input: AgentInput, p: IdeaProfile, story: UserStory, index: number): Feature {
  const uc = useCasesOf(input, p).find((u) => u.id === story.useCaseId);
  return p.features.find((f) => f.key === uc?.feature) ?? p.features[index % p.features.length]!;
}

export function deriveEndpoints(input: AgentInput, p: IdeaProfile, features: readonly Feature[]): Endpoint[] {
  const stories = storiesOf(input, p);
  const byKey = new Map<string, Endpoint>();
  const add = (method: Endpoint['method'], path: string, summary: string, f: Feature, storyIds: string[]) => {
    const key = `${method} ${path}`;
    const existing = byKey.get(key);
    if (existing !== undefined) {
      existing.storyIds = [...new Set([...existing.storyIds, ...storyIds])];
      return;
    }
    const responses =
      method === 'GET' ? [200, 401] : method === 'POST' ? [201, 400, 401, 403] : [200, 400, 401, 403, 409];
    byKey.set(key, {
      id: `EP-${byKey.size + 1}`,
      method,
      path,
      summary,
      componentId: `mod-${f.key}`,
      storyIds,
      authRequired: true,
      responses,
    });
  };
  for (const f of features) {
    const own = stories.filter((s, i) => featureOfStory(input, p, s, i).key === f.key);
    const main = own.filter((s) => !s.id.endsWith('.2')).map((s) => s.id);
    const edge = own.filter((s) => s.id.endsWith('.2')).map((s) => s.id);
    const path = resourcePath(f.entity);
    add('GET', path, `List ${plural(humanize(f.entity))} for ${f.name.toLowerCase()}`, f, main);
    add('POST', path, `${f.name}`, f, main);
    add('PATCH', `${path}/{id}`, `Update a ${humanize(f.entity)} (permission and version checked)`, f, [
      ...main,
      ...edge,
    ]);
  }
  return [...byKey.values()];
}

export const apiSpec = defineAgent({
  id: 'architecture.api-spec',
  purpose: 'API specification: REST endpoints, each mapped to the user stories it serves.',
  reads: [...UPSTREAM, 'ArchitectureSpec'],
  produces: 'ApiSpec',
  tools: ['openapi-lint'],
  role: 'You are an API designer. You design resource-oriented REST endpoints, authenticated by default, each traced to the stories it serves.',
  task: 'Specify the HTTP API for the idea: every user story is served by at least one endpoint.',
  rules: [
    'Paths are plural nouns under /api/v1.',
    '`storyIds` lists the user stories each endpoint serves; `authRequired` defaults to true.',
  ],
  outputSchema: ApiSpec,
  offline(input) {
    const p = profileIdea(input.idea);
    return {
      baseUrl: `https://api.${slugify(p.title)}.example/v1`,
      auth: 'OIDC bearer tokens; scopes per workspace role',
      endpoints: [
        {
          id: 'EP-0',
          method: 'GET',
          path: '/api/v1/health',
          summary: 'Liveness probe',
          componentId: 'api',
          storyIds: [],
          authRequired: false,
          responses: [200],
        },
        ...deriveEndpoints(input, p, p.features),
      ],
    };
  },
});

const FIELDS: Record<string, [string, string, boolean][]> = {
  Listing: [
    ['title', 'text', false],
    ['pricePerDayCents', 'integer', false],
    ['location', 'geography', false],
  ],
  Booking: [
    ['startsOn', 'date', false],
    ['endsOn', 'date', false],
    ['status', 'text', false],
  ],
  Item: [
    ['title', 'text', false],
    ['dueOn', 'date', false],
    ['status', 'text', false],
    ['assigneeId', 'uuid', false],
  ],
  Patient: [
    ['fullName', 'text', true],
    ['dateOfBirth', 'date', true],
    ['email', 'text', true],
  ],
  Account: [
    ['displayName', 'text', true],
    ['email', 'text', true],
  ],
  Member: [
    ['email', 'text', true],
    ['role', 'text', false],
  ],
  Transaction: [
    ['amountCents', 'integer', false],
    ['bookedOn', 'date', false],
    ['counterparty', 'text', true],
  ],
};

export const dataModel = defineAgent({
  id: 'architecture.data-model',
  purpose: 'Logical data model: entities, typed fields with PII flags, and relations.',
  reads: [...UPSTREAM, 'ArchitectureSpec'],
  produces: 'DataModel',
  role: 'You are a data architect. You model only what the stories need, mark personal data explicitly and keep relations simple.',
  task: 'Design the data model for the idea.',
  rules: [
    'Mark every field holding personal data with `pii: true`.',
    'Every entity has an id and timestamps.',
  ],
  outputSchema: DataModel,
  offline(input) {
    const p = profileIdea(input.idea);
    const entities = ['User', ...p.entities.filter((e) => e !== 'User')];
    return {
      entities: entities.map((name, i) => ({
        name,
        fields: [
          { name: 'id', type: 'uuid', required: true, pii: false },
          ...(name === 'User' ? [{ name: 'email', type: 'text', required: true, pii: true }] : []),
          ...(FIELDS[name] ?? [['name', 'text', false] as [string, string, boolean]]).map(
            ([n, type, pii]) => ({ name: n, type, required: true, pii }),
          ),
          ...(name === 'User' ? [] : [{ name: 'ownerId', type: 'uuid', required: true, pii: false }]),
          { name: 'createdAt', type: 'timestamptz', required: true, pii: false },
        ],
        relations: i === 0 ? [] : [{ to: 'User', kind: 'many-to-one' as const }],
      })),
    };
  },
});

export const adr = defineAgent({
  id: 'architecture.adr',
  purpose: 'Architecture decision records for the choices that are expensive to reverse.',
  reads: [...UPSTREAM, 'ArchitectureSpec'],
  produces: 'ADRs',
  role: 'You are the architect of record. You write an ADR for each decision that would be expensive to reverse, with honest consequences.',
  task: 'Write the ADRs behind the architecture of the idea.',
  rules: ['At least three ADRs; each has context, decision and consequences.'],
  outputSchema: ADRs,
  offline(input) {
    const p = profileIdea(input.idea);
    const stack = readArtifact(input, 'TechStack', TechStack);
    const backend = stack?.choices.find((c) => c.layer === 'backend')?.choice ?? 'Node.js with Hono';
    const adrs: ADRs['adrs'] = [
      {
        id: 'ADR-1',
        title: 'Modular monolith',
        status: 'accepted',
        context: `${p.features.length} features, one small team.`,
        decision: `One deployable (${backend}) with a module per feature.`,
        consequences: ['Simple deploys', 'Module boundaries enforced by lint rules'],
      },
      {
        id: 'ADR-2',
        title: 'PostgreSQL as the system of record',
        status: 'accepted',
        context: `Relational data: ${p.entities.slice(0, 4).join(', ')}.`,
        decision: 'PostgreSQL 17 with migrations in SQL files.',
        consequences: ['Transactions across modules', 'One database to operate'],
      },
      {
        id: 'ADR-3',
        title: 'Delegate sign-in to an OIDC provider',
        status: 'accepted',
        context: 'Passwords are a liability.',
        decision: 'OIDC with MFA at the provider.',
        consequences: ['No password storage', 'Dependency on the provider'],
      },
    ];
    if (p.domain.compliance.length > 0) {
      adrs.push({
        id: 'ADR-4',
        title: `Append-only audit log for ${p.domain.compliance[0]}`,
        status: 'accepted',
        context: 'Regulators and buyers ask who accessed what.',
        decision: 'Every read and write of personal data is logged to an append-only table.',
        consequences: ['Storage grows with use', 'Evidence for audits'],
      });
    }
    return { adrs };
  },
});

export const architectureAgents = [systemDesign, apiSpec, dataModel, adr] as const;
