import { describe, expect, it } from 'vitest';
import { humanizeKey, MAX_TEXT_LINES, renderValue } from './dossier-content.ts';

describe('artifact content as readable HTML', () => {
  it('spells keys out', () => {
    expect(humanizeKey('acceptanceCriteria')).toBe('Acceptance criteria');
    expect(humanizeKey('iWant')).toBe('I want');
    expect(humanizeKey('p97_5')).toBe('P97 5');
    expect(humanizeKey('use-case')).toBe('Use case');
  });

  it('renders a record as a definition list, flat records as a table, ids on one line', () => {
    const html = renderValue({
      title: 'Todo',
      requirementIds: ['REQ-1', 'REQ-4'],
      stories: [
        { id: 'US-1', priority: 'must', tags: ['a', 'b'] },
        { id: 'US-2', priority: 'should', done: true },
      ],
    });
    expect(html).toBe(
      '<dl><dt>Title</dt><dd>Todo</dd><dt>Requirement ids</dt><dd>REQ-1, REQ-4</dd><dt>Stories</dt><dd>' +
        '<table class="content"><thead><tr><th>Id</th><th>Priority</th><th>Tags</th><th>Done</th></tr></thead>' +
        '<tbody><tr><td>US-1</td><td>must</td><td>a, b</td><td><span class="none">—</span></td></tr>' +
        '<tr><td>US-2</td><td>should</td><td><span class="none">—</span></td><td>yes</td></tr></tbody></table></dd></dl>',
    );
    expect(html).not.toContain('{');
  });

  it('lists nested records and long strings as bullets', () => {
    const html = renderValue([{ id: 'A', nested: { deep: 1 } }, 'x'.repeat(41)]);
    expect(html).toBe(
      `<ul><li><dl><dt>Id</dt><dd>A</dd><dt>Nested</dt><dd><dl><dt>Deep</dt><dd>1</dd></dl></dd></dl></li><li>${'x'.repeat(41)}</li></ul>`,
    );
  });

  it('escapes everything and cuts long text with the count of the rest', () => {
    expect(renderValue({ '<k>': '<script>alert(1)</script>' })).toBe(
      '<dl><dt>&#60;k&#62;</dt><dd>&#60;script&#62;alert(1)&#60;/script&#62;</dd></dl>',
    );
    const file = Array.from({ length: MAX_TEXT_LINES + 5 }, (_, i) => `line ${i + 1}`).join('\n');
    const html = renderValue(file);
    expect(html).toContain(`line ${MAX_TEXT_LINES}\n`.trim());
    expect(html).not.toContain(`line ${MAX_TEXT_LINES + 1}`);
    expect(html).toContain('… 5 more lines (the full text is in dossier.json)');
  });

  it('shows empty values as such and stops nesting at a depth', () => {
    expect(renderValue([])).toBe('<span class="none">none</span>');
    expect(renderValue({})).toBe('<span class="none">—</span>');
    expect(renderValue(null)).toBe('<span class="none">—</span>');
    let deep: unknown = { leaf: 1 };
    for (let i = 0; i < 8; i++) deep = { more: deep };
    expect(renderValue(deep)).toContain('<code>{&#34;more&#34;:');
  });
});
