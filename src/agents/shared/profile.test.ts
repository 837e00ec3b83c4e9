import { describe, expect, it } from 'vitest';
import { SAMPLE_IDEAS } from '../testing/simulate.ts';
import { defectActive, defectMarkers, hintMentions, metricMode } from './defects.ts';
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

  it('ignores defect markers', () => {
    const plain = profileIdea(SAMPLE_IDEAS.todo);
    const marked = profileIdea({
      ...SAMPLE_IDEAS.todo,
      description: `${SAMPLE_IDEAS.todo.description} [defect:secrets]`,
    });
    expect(marked.features).toEqual(plain.features);
    expect(marked.fingerprint).toBe(plain.fingerprint);
  });
});

describe('defect markers', () => {
  const idea = { title: 'X', description: 'A todo app [defect:contradictions] [defect-persistent:secrets]' };
  const input = (hints: string[]) => ({
    runId: 'r',
    phase: 'critique',
    idea,
    artifacts: {},
    hints,
    attempt: 1,
  });

  it('parses transient and persistent markers', () => {
    const markers = defectMarkers(idea);
    expect([...markers.transient]).toEqual(['contradictions']);
    expect([...markers.persistent]).toEqual(['secrets']);
  });

  it('a transient defect lasts until a hint names its metric; a persistent one never ends', () => {
    expect(defectActive(input([]), 'contradictions')).toBe(true);
    expect(defectActive(input(['fix:contradictions_max: resolve']), 'contradictions')).toBe(false);
    expect(defectActive(input(['fix:secrets_max: rotate']), 'secrets')).toBe(true);
    expect(defectActive(input([]), 'ambiguity')).toBe(false);
  });

  it('matches metric names as whole tokens, with or without a rubric suffix', () => {
    expect(hintMentions(['fix:personas_count_range: 4'], 'personas_count')).toBe(true);
    expect(hintMentions(['contradictions_max exceeded (2 > 0)'], 'contradictions')).toBe(true);
    expect(hintMentions(['fix:critical_cves_max'], 'critical_sast')).toBe(false);
    expect(hintMentions(['fix:high_findings_unmitigated_max'], 'findings')).toBe(false);
    expect(metricMode(input(['fix:ambiguity_max']), 'ambiguity')).toEqual({ broken: false, fixing: true });
  });
});
