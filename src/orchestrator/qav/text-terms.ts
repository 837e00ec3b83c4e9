/**
 * The word-level tests behind the Q/A/V checks: key terms, numbers, negation, vagueness. They are
 * deliberately simple and explainable (a gate report can say "shared terms: sync, latency"), not a
 * language model: the validator must never ask a model to grade a model.
 */

const STOPWORDS = new Set(
  (
    'a an the and or but if then else of to in on at by for with from into onto over under as is are was ' +
    'were be been being am do does did has have had having it its this that these those there here their ' +
    'they them we our us you your he she his her i me my mine can could should would will shall may might ' +
    'must not no nor so than too very just also such each every any all some more most other same own only ' +
    'about above after again against before below between both during further once out off up down what ' +
    'which who whom whose why how when where while via per etc able use used using'
  ).split(' '),
);

/** Question scaffolding that says nothing about the subject ("what evidence confirms..."). */
const QUESTION_WORDS = new Set(
  'exactly evidence confirm confirms confirmed claim claims commit commits'.split(' '),
);

const VAGUE =
  /\b(tbd|tba|todo|etc|various|several|some|many|appropriate|as needed|probably|maybe|possibly|somehow|stuff|things?|lorem|placeholder)\b/i;
const NEGATION =
  /\b(not|no|never|none|without|cannot|can't|won't|don't|doesn't|isn't|aren't|shouldn't|mustn't)\b/i;
/** Ids such as R3, US-12, NFR-2: naming a concrete element is what makes an answer specific. */
const ID_TOKEN = /\b[A-Z]{1,6}-?\d+\b/;
const NUMBER = /\d+(?:[.,]\d+)*/g;

/** Lowercase alphanumeric words. */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[a-z0-9]+/g) ?? []
  );
}

/** A light suffix stripper: enough to match "tasks"/"task" and "assigning"/"assign", nothing clever. */
export function stem(word: string): string {
  if (/^\d/.test(word)) return word;
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 5 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** The distinct content words of a text, stemmed, in first-seen order. */
export function keyTerms(text: string): string[] {
  const seen = new Set<string>();
  for (const word of words(text)) {
    if (STOPWORDS.has(word) || QUESTION_WORDS.has(word)) continue;
    if (word.length < 3 && !/\d/.test(word)) continue;
    seen.add(stem(word));
  }
  return [...seen];
}

export function sharedTerms(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b);
  return a.filter((term) => other.has(term));
}

/** Numbers as written, without thousands separators: "10,000" and "10000" are the same number. */
export function numbersIn(text: string): string[] {
  return [...new Set((text.match(NUMBER) ?? []).map((n) => n.replace(/,(?=\d{3}\b)/g, '')))];
}

export function hasNegation(text: string): boolean {
  return NEGATION.test(text);
}

export function isVague(text: string): boolean {
  return VAGUE.test(text);
}

export function hasIdToken(text: string): boolean {
  return ID_TOKEN.test(text);
}

/** A capitalised word that does not start the text: a crude but honest named-entity test. */
export function hasNamedEntity(text: string): boolean {
  return /\s[A-Z][a-zA-Z0-9]+/.test(text.trim());
}

/**
 * The comparison form of a frame part: case, spacing, surrounding punctuation and leading articles
 * do not make two facts different.
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'`“”‘’([]+|["'`“”‘’)\].,;:!?]+$/g, '')
    .replace(/^(a|an|the) /, '')
    .trim();
}

/** For quote matching: case and whitespace runs are ignored, characters are not. */
export function normaliseQuote(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}
