/**
 * `ideamine/high-entropy-assignment`: the secret-scan's own rule, for the secrets no provider pattern
 * knows (a hand-made API key, a signing secret). Secretlint's rules match known formats; this one
 * matches a quoted literal that looks generated, assigned to a name that says it is a secret.
 *
 * A hit needs all of:
 * 1. a name containing key, secret, token, password/passwd or credential (any case), assigned with
 *    `=`, `:` or `=>` (also `"api_key": …` and `['x-api-key'] = …`);
 * 2. a quoted literal ('', "" or ``) of 20 to 512 characters from the base64/base64url/hex alphabet
 *    (letters, digits, `+ / = _ -`), so sentences, paths with dots and URLs never qualify;
 * 3. the look of a generated value: either hex (one case) with a digit and a letter, or mixed upper
 *    and lower case with a digit. Single-case words (`TIME_24_WITH_SECONDS`, `my-secret-key-2`) are
 *    names, not keys;
 * 4. no placeholder word (example, placeholder, changeme, dummy, sample, redacted, xxxxxx);
 * 5. Shannon entropy (bits per character) at or above the threshold for its length and alphabet:
 *    hex `0.5·log2(n) + 0.75`, otherwise `min(4.5, 0.75·log2(n) + 0.4)`. Both curves follow the
 *    1st percentile of random strings of that length (2,000 samples each from crypto.randomBytes):
 *    base64url p1 = 3.65/3.89/4.23/4.46 bits and hex p1 = 2.90/3.02/3.28/3.42 bits at n = 20/24/32/40,
 *    so ~99% of generated keys pass, while word-like passwords stay below
 *    (`my-super-secret-password-123`: 3.82 < 4.0).
 * Checked for false positives on the offline generator's three fixture apps (0 hits), IdeaMine's own
 * src/ and test/ (0 hits) and 13,616 files of its node_modules (2 hits, both a base64 `pubkey256`).
 */

export const ENTROPY_RULE = 'ideamine/high-entropy-assignment';

const ASSIGNMENT = /([A-Za-z_$][\w$-]*)["'`]?\]?\s*(?:=>|=|:)\s*(["'`])([A-Za-z0-9+/=_-]{20,512})\2/g;
const SECRET_NAME = /key|secret|token|passw(?:or)?d|credential/i;
const PLACEHOLDER = /example|placeholder|changeme|dummy|sample|redacted|x{6}/i;

export interface EntropyHit {
  /** Index of the literal's first character (after the quote) in the text. */
  index: number;
  value: string;
  name: string;
  entropy: number;
}

/** Shannon entropy of `value`, in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function isHex(value: string): boolean {
  return /^[0-9a-f]+$/.test(value) || /^[0-9A-F]+$/.test(value);
}

/** The entropy a literal of this length and alphabet must reach (see the rule above). */
export function entropyThreshold(value: string): number {
  const log = Math.log2(value.length);
  return isHex(value) ? 0.5 * log + 0.75 : Math.min(4.5, 0.75 * log + 0.4);
}

/** Does the literal look generated (rule points 3 and 4)? */
function looksGenerated(value: string): boolean {
  if (!/\d/.test(value) || PLACEHOLDER.test(value)) return false;
  if (isHex(value)) return /[a-f]/i.test(value);
  return /[a-z]/.test(value) && /[A-Z]/.test(value);
}

export function highEntropyAssignments(text: string): EntropyHit[] {
  const hits: EntropyHit[] = [];
  for (const match of text.matchAll(ASSIGNMENT)) {
    const [whole, name, , value] = match;
    if (name === undefined || value === undefined || !SECRET_NAME.test(name)) continue;
    if (!looksGenerated(value)) continue;
    const entropy = shannonEntropy(value);
    if (entropy < entropyThreshold(value)) continue;
    hits.push({ index: match.index + whole.length - value.length - 1, value, name, entropy });
  }
  return hits;
}
