/**
 * Small, dependency-free text analysis for the offline synthesizers: enough to pull the subject,
 * the audience and the salient words out of a one-paragraph idea. It is a heuristic, not NLP; its
 * job is to make two different ideas give visibly different artifacts, deterministically.
 */

const STOPWORDS = new Set(
  (
    'a an the for of to and or with in on at by from that which who whom their them they it its is are be ' +
    'been being as into your our my we you i me us this these those so all any more most also just like ' +
    'make makes making get gets without about over each every while than then there here when where why ' +
    'how what can could will would should may might must not no nor only own same such too very do does ' +
    'did doing has have having he she his her him lets let help helps allow allows enable enables using ' +
    'use uses via based one two build create want need needs something thing things way ways people ' +
    'user users everyone anyone someone etc'
  ).split(' '),
);

/** Head nouns of a product phrase: "a todo APP for...", "a MARKETPLACE for...". */
const HEAD_NOUNS = new Set(
  (
    'app apps application platform marketplace tool service system website site dashboard bot assistant ' +
    'api network hub portal tracker manager planner engine saas product suite extension plugin game ' +
    'community store shop exchange board'
  ).split(' '),
);

/** Modifiers that describe any product and say nothing about its subject. */
const GENERIC_MODIFIERS = new Set(
  (
    'shared simple smart mobile online web new modern lightweight collaborative ai ai-powered ai-driven ' +
    'personal open-source free easy secure social small local private better fast cloud cloud-based ' +
    'native cross-platform minimal friendly intelligent automated digital tiny little big great'
  ).split(' '),
);

/** Runs of whitespace (newlines, tabs) to one space, trimmed: how idea text is shown and summarized. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Lower-case word tokens, keeping inner hyphens ("ai-powered"). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? [];
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

export function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length > 2 && !STOPWORDS.has(w) && !/^\d+$/.test(w));
}

/** Content words ranked by frequency, ties broken by first occurrence: deterministic. */
export function keywords(text: string, limit = 8): string[] {
  const counts = new Map<string, number>();
  for (const w of contentWords(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const order = [...counts.keys()];
  return order
    .map((w, i) => ({ w, i, n: counts.get(w) ?? 0 }))
    .sort((a, b) => b.n - a.n || a.i - b.i)
    .slice(0, limit)
    .map((x) => x.w);
}

export interface IdeaPhrase {
  /** What the product is about: "todo", "camping gear". */
  subject: string;
  /** Who it is for, when the text says so: "small teams". */
  audience: string | undefined;
  /** The activity it supports when phrased "for renting ...": "renting". */
  action: string | undefined;
  /** The head noun: "app", "marketplace". */
  head: string | undefined;
}

const PHRASE_BREAKS = new Set(['with', 'that', 'who', 'which', 'where', 'and', 'to', 'so', 'by', 'in', 'on']);

function phraseAfter(tokens: string[], start: number): string[] {
  const out: string[] = [];
  for (let i = start; i < tokens.length && out.length < 4; i++) {
    const t = tokens[i] ?? '';
    if (PHRASE_BREAKS.has(t) || t === 'for') break;
    if (t === 'a' || t === 'an' || t === 'the') continue;
    out.push(t);
  }
  return out;
}

function isGerund(word: string | undefined): boolean {
  return word !== undefined && word.length > 4 && word.endsWith('ing') && !['thing', 'string'].includes(word);
}

/** Reads "A shared todo app for small teams" as subject "todo", audience "small teams". */
export function parseIdeaPhrase(sentence: string): IdeaPhrase {
  const tokens = words(sentence);
  const headIndex = tokens.findIndex((t) => HEAD_NOUNS.has(t));
  const head = headIndex >= 0 ? tokens[headIndex] : undefined;
  const before = headIndex >= 0 ? tokens.slice(0, headIndex) : [];
  const modifiers = before.filter(
    (w) => !STOPWORDS.has(w) && !GENERIC_MODIFIERS.has(w) && !HEAD_NOUNS.has(w),
  );
  let subject = modifiers.slice(-2).join(' ');
  let audience: string | undefined;
  let action: string | undefined;
  for (let i = Math.max(headIndex, 0); i < tokens.length; i++) {
    if (tokens[i] !== 'for') continue;
    const phrase = phraseAfter(tokens, i + 1);
    if (phrase.length === 0) continue;
    if (isGerund(phrase[0])) {
      action ??= phrase[0];
      const object = phrase.slice(1).filter((w) => !STOPWORDS.has(w));
      if (object.length > 0 && subject === '') subject = object.join(' ');
    } else if (audience === undefined) {
      audience = phrase.filter((w) => !STOPWORDS.has(w) || w === 'small').join(' ') || undefined;
    }
  }
  if (subject === '') subject = keywords(sentence, 2).join(' ');
  return { subject: subject || 'product', audience, action, head };
}

export function capitalize(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}

export function lowerFirst(text: string): string {
  return text.length === 0 ? text : text[0]!.toLowerCase() + text.slice(1);
}

export function titleCase(text: string): string {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => capitalize(w))
    .join(' ');
}

/** "camping gear" → "CampingGear": an identifier-safe entity name. */
export function pascalCase(text: string): string {
  return (text.match(/[A-Za-z0-9]+/g) ?? [])
    .map((w) => capitalize(w === w.toUpperCase() ? w.toLowerCase() : w))
    .join('');
}

/** "AuditEvent" → "audit event". */
export function humanize(identifier: string): string {
  return identifier.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

export function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'idea'
  );
}

const UNCOUNTABLE = new Set(
  'gear equipment software furniture clothing food music data information money feedback advice homework luggage'.split(
    ' ',
  ),
);

/** Naive English plural, good enough for nouns in generated prose and REST paths. */
export function plural(noun: string): string {
  if (UNCOUNTABLE.has(noun.split(' ').at(-1) ?? '')) return noun;
  if (/(s|x|z|ch|sh)$/.test(noun)) return noun + 'es';
  if (/[^aeiou]y$/.test(noun)) return noun.slice(0, -1) + 'ies';
  return noun + 's';
}

/** "search" → "searches": the verb after a singular subject. */
export function thirdPerson(verb: string): string {
  if (/(s|x|z|ch|sh)$/.test(verb)) return verb + 'es';
  if (/[^aeiou]y$/.test(verb)) return verb.slice(0, -1) + 'ies';
  return verb + 's';
}

/** "renting" → "rent", "booking" → "book", "sharing" → "share". */
export function verbOf(gerund: string): string {
  const stem = gerund.replace(/ing$/, '');
  if (/(.)\1$/.test(stem) && !/(ll|ss)$/.test(stem)) return stem.slice(0, -1);
  if (/(at|iz|v|c|g)$/.test(stem) || (stem.length <= 4 && /[^aeiou][aeiou][rv]$/.test(stem)))
    return stem + 'e';
  return stem;
}

/** Statements that promise without committing: the intake guard counts them as ambiguous. */
export const VAGUE_TERMS = [
  'etc',
  'tbd',
  'maybe',
  'somehow',
  'various',
  'some kind of',
  'and so on',
  'as needed',
  'user-friendly',
  'state of the art',
  'best in class',
  'seamless',
] as const;

export function vagueTermsIn(text: string): string[] {
  const lower = ` ${collapseWhitespace(text).toLowerCase()} `;
  return VAGUE_TERMS.filter((term) => new RegExp(`[^a-z]${term.replace(/ /g, '\\s+')}[^a-z]`).test(lower));
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
