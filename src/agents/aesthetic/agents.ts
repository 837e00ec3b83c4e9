import type { AgentInput } from '../../core/agent.ts';
import { UxFlows } from '../prd/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { capitalize, unique } from '../shared/text.ts';
import { BrandReport, UiAudit } from './schemas.ts';

const UPSTREAM = ['UxFlows', 'UserStories', 'NFRs', 'Personas', 'E2eSuite', 'TestPlan'];

function screensOf(input: AgentInput, p: IdeaProfile): string[] {
  const flows = readArtifact(input, 'UxFlows', UxFlows)?.flows ?? [];
  const screens = unique(flows.flatMap((f) => f.steps.map((s) => s.screen)));
  return screens.length > 0
    ? screens
    : ['Home', `${capitalize(p.subject)} list`, `${capitalize(p.subject)} editor`];
}

export const uiAuditor = defineAgent({
  id: 'aesthetic.ui-auditor',
  purpose: 'Audit the UI screen by screen: hierarchy, spacing, states, consistency.',
  reads: UPSTREAM,
  produces: 'UiAudit',
  role: 'You are a senior product designer reviewing screens. You judge hierarchy, spacing, empty and error states, and you propose concrete fixes.',
  task: 'Audit every screen of the idea and score it out of 100.',
  rules: ['Every issue has a concrete fix.', 'Scores out of 100; overall is the mean of the screens.'],
  outputSchema: UiAudit,
  offline(input) {
    const p = profileIdea(input.idea);
    const rng = seeded(p.fingerprint, 'ui-audit');
    const screens = screensOf(input, p).map((name) => ({
      name,
      score: rng.int(name, 78, 94),
      issues: [
        {
          severity: 'low' as const,
          description: `Empty state of "${name}" does not suggest a first ${p.subject}.`,
          fix: `Add a one-line prompt and a "New ${p.subject}" button.`,
        },
      ],
    }));
    return { screens, overallScore: Math.round(screens.reduce((s, x) => s + x.score, 0) / screens.length) };
  },
});

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** WCAG contrast ratio of a colour against white. */
export function contrastOnWhite(hex: string): number {
  const lin = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * (lin[0] ?? 0) + 0.7152 * (lin[1] ?? 0) + 0.0722 * (lin[2] ?? 0);
  return Math.round((1.05 / (luminance + 0.05)) * 100) / 100;
}

export const brandConsistency = defineAgent({
  id: 'aesthetic.brand-consistency',
  purpose: 'Brand consistency: palette, typography and voice applied the same way on every screen.',
  reads: UPSTREAM,
  produces: 'BrandReport',
  role: 'You are a brand designer. You define the palette, type and voice for the audience and check every screen against them.',
  task: 'Define the brand basics of the idea and check their consistent use.',
  rules: [
    'Palette colours in lowercase hex; the primary colour must reach 4.5:1 on white.',
    'Each check passes or fails with a note.',
  ],
  outputSchema: BrandReport,
  offline(input) {
    const p = profileIdea(input.idea);
    const hue = seeded(p.fingerprint, 'brand').int('hue', 0, 359);
    const primary = hslToHex(hue, 0.65, 0.27);
    const ratio = contrastOnWhite(primary);
    const checks = [
      { name: 'Primary colour contrast on white', passed: ratio >= 4.5, note: `${ratio}:1` },
      { name: 'One button style across screens', passed: true, note: 'Single primary style.' },
      { name: 'Type scale respected', passed: true, note: 'Five-step scale.' },
      { name: `Voice suits ${p.audience}`, passed: true, note: 'Plain, friendly, second person.' },
      { name: 'Logo clear space', passed: true, note: 'Respected on all screens.' },
    ];
    return {
      palette: [
        { name: 'primary', hex: primary },
        { name: 'accent', hex: hslToHex((hue + 150) % 360, 0.7, 0.45) },
        { name: 'neutral', hex: '#1f2933' },
      ],
      typography: 'Inter for UI text, 16 px base, 1.25 scale',
      voice: `Plain and encouraging, written for ${p.audience}.`,
      checks,
    };
  },
});

/**
 * The aesthetic phase's reviewers. Accessibility is not among them: axe-core measures it in Chromium on
 * the started app (config/phases/aesthetic.yaml `measure`), so no agent reports WCAG findings.
 */
export const aestheticAgents = [uiAuditor, brandConsistency] as const;
