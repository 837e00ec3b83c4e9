import type { FieldSpec, ResourceSpec } from '../spec.ts';

/** Fixed sample values the generated tests use: valid and invalid, per field type. */

const VALID: Record<FieldSpec['type'], unknown> = {
  text: 'Sample',
  number: 42,
  boolean: true,
  date: '2025-01-15',
  timestamp: '2025-01-15T10:00:00.000Z',
  uuid: '00000000-0000-4000-8000-000000000001',
};

/** Each is wrong for its type both as JSON and as command-line text. */
const INVALID: Record<FieldSpec['type'], { value: string; reason: string }> = {
  text: { value: '', reason: 'must not be blank' },
  number: { value: 'not a number', reason: 'must be a number' },
  boolean: { value: 'yes', reason: 'must be true or false' },
  date: { value: '15/01/2025', reason: 'must be a date (YYYY-MM-DD)' },
  timestamp: { value: 'yesterday', reason: 'must be an ISO 8601 date and time' },
  uuid: { value: 'not-a-uuid', reason: 'must be a UUID' },
};

/** The text field that carries labels and search tokens (the spec guarantees one). */
export function labelField(resource: ResourceSpec): FieldSpec {
  return resource.fields.find((f) => f.type === 'text')!;
}

/** The field an invalid-input test breaks: a required one when there is one. */
export function invalidCase(resource: ResourceSpec): { field: string; value: string; reason: string } {
  const field = resource.fields.find((f) => f.required) ?? resource.fields[0]!;
  return { field: field.name, ...INVALID[field.type] };
}

export function invalidValueOf(field: FieldSpec): { value: string; reason: string } {
  return INVALID[field.type];
}

/**
 * A generated `sample(label)` function: a valid record whose label field is `label`, so that tests
 * can tell their records apart (and search for them) on a shared server.
 */
export function sampleFunctionJs(resource: ResourceSpec): string {
  const label = labelField(resource).name;
  const entries = resource.fields.map((f) =>
    f.name === label
      ? `    ${f.name}: label,`
      : `    ${f.name}: ${JSON.stringify(f.type === 'text' ? `Sample ${f.name}` : VALID[f.type])},`,
  );
  return `function sample(label) {
  return {
${entries.join('\n')}
  };
}`;
}

/** `within 2 seconds` in a criterion → 2000; undefined when it names no bound. */
export function withinMs(text: string): number | undefined {
  const m = /within (\d+(?:\.\d+)?) (second|millisecond)s?/i.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2]!.toLowerCase() === 'second' ? 1000 : 1));
}
