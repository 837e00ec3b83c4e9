import { describe, expect, it } from 'vitest';
import { seeded } from './seed.ts';
import {
  collapseWhitespace,
  keywords,
  parseIdeaPhrase,
  pascalCase,
  plural,
  slugify,
  thirdPerson,
  vagueTermsIn,
  verbOf,
} from './text.ts';

describe('parseIdeaPhrase', () => {
  it('reads subject and audience around the head noun', () => {
    expect(parseIdeaPhrase('A shared todo app for small teams')).toMatchObject({
      subject: 'todo',
      audience: 'small teams',
      head: 'app',
    });
  });

  it('reads "for <gerund> <object>" as an activity, not an audience', () => {
    expect(parseIdeaPhrase('A marketplace for renting camping gear')).toMatchObject({
      subject: 'camping gear',
      action: 'renting',
      audience: undefined,
      head: 'marketplace',
    });
  });

  it('drops generic modifiers and build verbs', () => {
    expect(parseIdeaPhrase('Build a todo app').subject).toBe('todo');
    expect(parseIdeaPhrase('AI-powered healthcare diagnostic platform for rural clinics')).toMatchObject({
      subject: 'healthcare diagnostic',
      audience: 'rural clinics',
    });
  });

  it('falls back to keywords without a head noun', () => {
    expect(parseIdeaPhrase('Recipes recipes and groceries').subject).toBe('recipes groceries');
  });
});

describe('word helpers', () => {
  it('reads bracketed text as ordinary words and collapses whitespace', () => {
    expect(collapseWhitespace('  A todo app\n\tfor  teams ')).toBe('A todo app for teams');
    expect(keywords('todo [beta] todo lists')).toEqual(['todo', 'beta', 'lists']);
    expect(slugify('[Beta] TeamTodo')).toBe('beta-teamtodo');
    expect(vagueTermsIn('Sync lists [etc]')).toEqual(['etc']);
  });

  it('inflects nouns and verbs', () => {
    expect([plural('listing'), plural('activity'), plural('search'), plural('camping gear')]).toEqual([
      'listings',
      'activities',
      'searches',
      'camping gear',
    ]);
    expect(
      ['renting', 'booking', 'sharing', 'planning', 'managing', 'selling', 'ordering'].map(verbOf),
    ).toEqual(['rent', 'book', 'share', 'plan', 'manage', 'sell', 'order']);
    expect([thirdPerson('search'), thirdPerson('organize'), thirdPerson('apply')]).toEqual([
      'searches',
      'organizes',
      'applies',
    ]);
  });

  it('makes identifiers', () => {
    expect(pascalCase('camping gear')).toBe('CampingGear');
    expect(pascalCase('AuditEvent')).toBe('AuditEvent');
    expect(slugify('GearShare: Rent Camping Gear!')).toBe('gearshare-rent-camping-gear');
  });

  it('finds vague terms as whole words', () => {
    expect(vagueTermsIn('Lists, tags, etc. and maybe a seamless sync')).toEqual(['etc', 'maybe', 'seamless']);
    expect(vagueTermsIn('Etcetera is fine; a maybelline')).toEqual([]);
  });
});

describe('seeded', () => {
  it('is deterministic and independent per salt', () => {
    const a = seeded('idea', 1);
    const b = seeded('idea', 1);
    expect(a.int('x', 1, 100)).toBe(b.int('x', 1, 100));
    expect(a.sample('s', [1, 2, 3, 4, 5], 3)).toEqual(b.sample('s', [1, 2, 3, 4, 5], 3));
    expect(seeded('other').seed).not.toBe(a.seed);
  });

  it('stays within bounds', () => {
    const rng = seeded('bounds');
    for (let i = 0; i < 200; i++) {
      const n = rng.int(`n${i}`, 3, 7);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(7);
      const x = rng.float(`x${i}`, 0.5, 0.6);
      expect(x).toBeGreaterThanOrEqual(0.5);
      expect(x).toBeLessThanOrEqual(0.6);
    }
    expect(new Set(rng.sample('all', ['a', 'b', 'c'], 10))).toEqual(new Set(['a', 'b', 'c']));
    expect(() => rng.pick('none', [])).toThrow(RangeError);
  });
});
