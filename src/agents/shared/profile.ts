import type { Idea } from '../../core/agent.ts';
import { hashOf } from '../../core/ids.ts';
import { CAPABILITIES, GENERIC_DOMAIN } from './capabilities.ts';
import { DOMAINS, type DomainTemplate, type FeatureTemplate } from './domains.ts';
import {
  capitalize,
  collapseWhitespace,
  contentWords,
  type IdeaPhrase,
  keywords,
  parseIdeaPhrase,
  pascalCase,
  plural,
  slugify,
  unique,
  verbOf,
  words,
} from './text.ts';

/**
 * What the offline synthesizers know about an idea: derived once from its text, shared by every
 * agent so that artifacts of different phases agree (the feature behind goal G2 is the one behind
 * use case UC-2, requirement REQ-2, story US-2.1 and endpoint /api/...).
 */
export interface Feature {
  /** Stable within the profile: `F1`, `F2`... */
  id: string;
  key: string;
  name: string;
  entity: string;
  verb: string;
  summary: string;
  /** Index into `roles` of who mainly performs it. */
  actor: number;
  /** `domain` when the domain implies it, `text` when the idea's words ask for it. */
  source: 'domain' | 'text';
}

export interface Role {
  id: string;
  name: string;
  focus: string;
}

export interface IdeaProfile {
  title: string;
  slug: string;
  /** The description, whitespace collapsed. */
  summary: string;
  domain: DomainTemplate;
  subject: string;
  subjects: string;
  audience: string;
  action: string | undefined;
  /** The kind of product: "app", "marketplace", "platform". */
  productType: string;
  buyer: string;
  seller: string;
  keywords: string[];
  features: Feature[];
  roles: Role[];
  entities: string[];
  constraints: string[];
  /** A hash of the idea: seeds every deterministic choice about it. */
  fingerprint: string;
}

const MARKET_SIDES: Record<string, [string, string]> = {
  rent: ['renter', 'owner'],
  lend: ['borrower', 'lender'],
  borrow: ['borrower', 'lender'],
  sell: ['buyer', 'seller'],
  buy: ['buyer', 'seller'],
  book: ['guest', 'host'],
  hire: ['client', 'provider'],
  swap: ['swapper', 'lister'],
};

function pickDomain(ideaWords: string[], phrase: IdeaPhrase): DomainTemplate {
  let best: DomainTemplate = GENERIC_DOMAIN;
  let bestScore = 0;
  for (const domain of DOMAINS) {
    let score = 0;
    for (const w of ideaWords) if (domain.keywords.includes(w)) score += 1;
    if (phrase.head !== undefined && domain.keywords.includes(phrase.head)) score += 2;
    for (const w of phrase.subject.split(' ')) if (domain.keywords.includes(w)) score += 1;
    if (score > bestScore) {
      best = domain;
      bestScore = score;
    }
  }
  return best;
}

function marketSides(action: string | undefined, ideaWords: string[]): [string, string] {
  const verbs = [
    action === undefined ? '' : verbOf(action),
    ...ideaWords.map((w) => verbOf(w)),
    ...ideaWords,
  ];
  for (const v of verbs) {
    const sides = MARKET_SIDES[v];
    if (sides !== undefined) return sides;
  }
  return ['buyer', 'seller'];
}

type Fill = (template: string) => string;

function makeFill(values: Record<string, string>): Fill {
  return (template) => template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

function pickFeatures(domain: DomainTemplate, ideaWords: string[], fill: Fill): Feature[] {
  const fromText: FeatureTemplate[] = [];
  for (const w of ideaWords) {
    const cap = CAPABILITIES.find((c) => c.words.includes(w));
    if (cap !== undefined && !fromText.some((t) => t.key === cap.feature.key)) fromText.push(cap.feature);
  }
  const core = domain.features;
  const ordered: { template: FeatureTemplate; source: Feature['source'] }[] = [
    ...core.slice(0, 2).map((template) => ({ template, source: 'domain' as const })),
    ...fromText.slice(0, 3).map((template) => ({ template, source: 'text' as const })),
    ...core.slice(2).map((template) => ({ template, source: 'domain' as const })),
  ];
  const seen = new Set<string>();
  const features: Feature[] = [];
  for (const { template, source } of ordered) {
    if (seen.has(template.key) || features.length >= 6) continue;
    seen.add(template.key);
    features.push({
      id: `F${features.length + 1}`,
      key: template.key,
      name: capitalize(fill(template.name)),
      entity: pascalCase(fill(template.entity)),
      verb: template.verb,
      summary: fill(template.summary),
      actor: template.actor,
      source,
    });
  }
  return features;
}

/** Derives the profile from the idea's text. Pure: the same idea always gives the same profile. */
export function profileIdea(idea: Idea): IdeaProfile {
  const summary = collapseWhitespace(idea.description);
  const title = collapseWhitespace(idea.title) || summary.split(/[.!?]/)[0] || 'Untitled idea';
  const text = `${title}. ${summary}`;
  const ideaWords = words(text);
  const firstSentence = summary.split(/[.!?]/)[0] ?? summary;
  const phrase = parseIdeaPhrase(firstSentence.length > 0 ? firstSentence : title);
  const domain = pickDomain(contentWords(text), phrase);
  const [buyer, seller] = marketSides(phrase.action, ideaWords);
  const subject = phrase.subject;
  const base = { subject, subjects: plural(subject), Subject: capitalize(subject), buyer, seller };
  const audience = (
    idea.audience?.trim() ||
    phrase.audience ||
    makeFill(base)(domain.defaultAudience)
  ).toLowerCase();
  const fill = makeFill({ ...base, audience });
  const features = pickFeatures(domain, ideaWords, fill);
  const roles = domain.roles.map((r, i) => ({
    id: `P${i + 1}`,
    name: capitalize(fill(r.name)),
    focus: fill(r.focus),
  }));
  return {
    title,
    slug: slugify(title),
    summary,
    domain,
    subject,
    subjects: base.subjects,
    audience,
    action: phrase.action,
    productType: phrase.head ?? 'app',
    buyer,
    seller,
    keywords: keywords(text, 8),
    features,
    roles,
    entities: unique([...domain.entities.map((e) => pascalCase(fill(e))), ...features.map((x) => x.entity)]),
    constraints: (idea.constraints ?? []).map((c) => collapseWhitespace(c)).filter((c) => c.length > 0),
    fingerprint: hashOf(idea.title, summary, idea.audience ?? '', idea.constraints ?? []),
  };
}
