import { describe, expect, it } from 'vitest';
import { SAMPLE_IDEAS } from '../testing/simulate.ts';
import { profileIdea } from './profile.ts';

describe('profileIdea', () => {
  it('recognises a shared todo app for small teams', () => {
    const p = profileIdea(SAMPLE_IDEAS.todo);
    expect(p.domain.key).toBe('productivity');
    expect(p.audience).toBe('small teams');
    expect(p.features.map((f) => f.key)).toEqual(
      expect.arrayContaining(['lists', 'items', 'sharing', 'members']),
    );
    expect(p.roles.map((r) => r.name)).toContain('Team lead');
  });

  it('recognises a camping-gear rental marketplace: renters and owners, listings and bookings', () => {
    const p = profileIdea(SAMPLE_IDEAS.camping);
    expect(p.domain.key).toBe('marketplace');
    expect([p.subject, p.buyer, p.seller]).toEqual(['camping gear', 'renter', 'owner']);
    expect(p.features.map((f) => f.key)).toEqual(
      expect.arrayContaining(['listings', 'booking', 'reviews', 'payments']),
    );
    expect(p.entities).toEqual(expect.arrayContaining(['Listing', 'Booking', 'Review', 'Payment']));
  });

  it('recognises a regulated health idea and keeps stated constraints', () => {
    const p = profileIdea(SAMPLE_IDEAS.health);
    expect(p.domain.key).toBe('health');
    expect(p.domain.compliance).toContain('HIPAA');
    expect(p.constraints).toEqual(['Must run on low-bandwidth connections']);
    expect(p.features.map((f) => f.key)).toEqual(expect.arrayContaining(['uploads', 'notify']));
  });

  it('prefers the explicit audience and falls back to a generic domain', () => {
    const p = profileIdea({ title: 'Quill', description: 'A tool for writing haiku', audience: 'Poets' });
    expect(p.audience).toBe('poets');
    expect(p.domain.key).toBe('general');
    expect(p.features.length).toBeGreaterThanOrEqual(4);
  });

  it('treats brackets as ordinary text and collapses whitespace', () => {
    const plain = profileIdea(SAMPLE_IDEAS.todo);
    const spaced = profileIdea({
      ...SAMPLE_IDEAS.todo,
      description: '  A shared todo app\n\tfor small teams ',
    });
    expect(spaced.summary).toBe(SAMPLE_IDEAS.todo.description);
    expect(spaced.features).toEqual(plain.features);
    expect(spaced.fingerprint).toBe(plain.fingerprint);
    const tagged = profileIdea({
      title: 'TeamTodo [beta]',
      description: 'A shared todo app [v2] for small teams',
    });
    expect(tagged.summary).toBe('A shared todo app [v2] for small teams');
    expect(tagged.slug).toBe('teamtodo-beta');
    expect(tagged.domain.key).toBe('productivity');
    expect(tagged.audience).toBe('small teams');
    expect(tagged.fingerprint).not.toBe(plain.fingerprint);
  });
});
