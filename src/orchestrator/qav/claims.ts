import type { ArtifactView } from '../../core/agent.ts';
import { sha256 } from '../../core/ids.ts';
import { formatPath, type Leaf, type PathSegment, resolvePath, stringLeaves } from './json-paths.ts';
import { keyTerms, numbersIn, sharedTerms } from './text-terms.ts';
import type { AssessedClaim, Claim, KnowledgeFrame, Passage, Source, Support } from './types.ts';

/**
 * Claim extraction and the support test. A claim is a string in a draft artifact with at least
 * three content words ("Teams of up to 20 members share one board"); shorter strings are labels,
 * ids or enum values that assert nothing worth questioning.
 *
 * A claim is supported when a passage of ANOTHER source (another artifact, or a knowledge frame)
 * shares most of its key terms and every number it states. The rule is crude on purpose: it is
 * cheap, deterministic, and its verdict explains itself ("supported by IdeaSpec $.goals[0].metric,
 * shared terms: board, member, team").
 */

const MIN_CLAIM_TERMS = 3;
const MIN_CLAIM_CHARS = 12;
/** A bare UUID: an artifact or frame reference asserts nothing. */
const IDENTIFIER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Share of a claim's key terms another passage must contain to support it. */
export const SUPPORT_TERM_SHARE = 0.6;

/**
 * A claim's id comes from where it stands (artifact type and name, JSON path) and what it says, not
 * from the artifact's row id: the same draft gives the same claim ids in every run, which keeps
 * prompts — and so recorded model calls — reproducible.
 */
export function claimId(artifact: Pick<ArtifactView, 'type' | 'name'>, path: string, text: string): string {
  return `c-${sha256(`${artifact.type}\u0000${artifact.name}\u0000${path}\u0000${text}`).slice(0, 12)}`;
}

export function extractClaims(artifacts: readonly ArtifactView[]): Claim[] {
  const claims: Claim[] = [];
  for (const artifact of artifacts) {
    for (const leaf of stringLeaves(artifact.content)) {
      const terms = keyTerms(leaf.text);
      if (terms.length < MIN_CLAIM_TERMS || leaf.text.trim().length < MIN_CLAIM_CHARS) continue;
      if (IDENTIFIER.test(leaf.text.trim())) continue; // a reference to a row, not a statement
      claims.push({
        id: claimId(artifact, leaf.path, leaf.text),
        artifactId: artifact.id,
        path: leaf.path,
        text: leaf.text,
        terms,
        numbers: numbersIn(leaf.text),
      });
    }
  }
  return claims;
}

/** Every string of the artifacts that has a content word, labelled for fission. */
export function artifactPassages(artifacts: readonly ArtifactView[]): Passage[] {
  return artifacts.flatMap((artifact) =>
    stringLeaves(artifact.content)
      .map((leaf) => ({ leaf, terms: keyTerms(leaf.text) }))
      .filter(({ terms }) => terms.length > 0)
      .map(({ leaf, terms }) => ({
        sourceId: artifact.id,
        sourceType: artifact.type,
        path: leaf.path,
        text: leaf.text,
        terms,
        ...labelsFor(artifact, leaf),
      })),
  );
}

/** A frame is cited through its object: `{artifactId: frame.id, path: '$.object', quote}`. */
export function framePassages(frames: readonly KnowledgeFrame[]): Passage[] {
  return frames.map((frame) => ({
    sourceId: frame.id,
    sourceType: 'KmapFrame',
    path: '$.object',
    text: frame.object,
    terms: keyTerms(`${frame.subject} ${frame.predicate} ${frame.object}`),
    subject: frame.subject,
    predicate: frame.predicate,
  }));
}

/** What citations may resolve against: the input artifacts and the frames shown to the answerer. */
export function sourcesOf(
  artifacts: readonly ArtifactView[],
  frames: readonly KnowledgeFrame[],
): Map<string, Source> {
  const sources = new Map<string, Source>();
  for (const artifact of artifacts)
    sources.set(artifact.id, { id: artifact.id, type: artifact.type, content: artifact.content });
  for (const frame of frames) {
    sources.set(frame.id, {
      id: frame.id,
      type: 'KmapFrame',
      content: { subject: frame.subject, predicate: frame.predicate, object: frame.object },
    });
  }
  return sources;
}

export function supportFor(claim: Claim, passages: readonly Passage[]): Support | null {
  const needed = Math.max(2, Math.ceil(claim.terms.length * SUPPORT_TERM_SHARE));
  let best: Support | null = null;
  for (const passage of passages) {
    if (passage.sourceId === claim.artifactId) continue;
    const shared = sharedTerms(claim.terms, passage.terms);
    if (shared.length < needed || shared.length <= (best?.shared.length ?? 0)) continue;
    const numbers = new Set(numbersIn(passage.text));
    if (!claim.numbers.every((n) => numbers.has(n))) continue;
    best = { sourceId: passage.sourceId, path: passage.path, shared };
  }
  return best;
}

export function assessSupport(claims: readonly Claim[], passages: readonly Passage[]): AssessedClaim[] {
  return claims.map((claim) => ({ ...claim, support: supportFor(claim, passages) }));
}

function labelsFor(artifact: ArtifactView, leaf: Leaf): { subject: string; predicate: string } {
  const segments = leaf.segments;
  const last = segments.at(-1);
  if (typeof last === 'number') {
    // A list of strings is multi-valued: the position keeps "constraint 1" and "constraint 2" from
    // looking like one fact with two conflicting values.
    const key = segments.at(-2);
    const owner = segments.slice(0, -2);
    return {
      subject: ownerLabel(artifact, owner),
      predicate: `${singular(humanise(String(key ?? 'item')))} ${last + 1}`,
    };
  }
  return {
    subject: ownerLabel(artifact, segments.slice(0, -1)),
    predicate: humanise(String(last ?? 'content')),
  };
}

/** `requirement R3` for `$.requirements[2]` when it has an id; `PRD feasibility` for `$.feasibility`. */
function ownerLabel(artifact: ArtifactView, owner: readonly PathSegment[]): string {
  if (owner.length === 0) return artifact.type;
  const last = owner.at(-1);
  if (typeof last !== 'number') return `${artifact.type} ${humanise(String(last))}`;
  const node = resolvePath(artifact.content, formatPath(owner)).value as Record<string, unknown> | undefined;
  const collection = singular(humanise(String(owner.at(-2) ?? 'item')));
  const name = ['id', 'name', 'title'].map((key) => node?.[key]).find((v) => typeof v === 'string');
  return `${collection} ${typeof name === 'string' ? name : `#${last + 1}`}`;
}

function humanise(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .trim();
}

function singular(phrase: string): string {
  if (phrase.endsWith('ies')) return `${phrase.slice(0, -3)}y`;
  if (phrase.endsWith('s') && !phrase.endsWith('ss')) return phrase.slice(0, -1);
  return phrase;
}
