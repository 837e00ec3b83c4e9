/**
 * The SQL boundary check (issue 13, architecture.md §3): every SQL statement lives in `src/storage` or
 * `src/queue`, behind repositories; the engine, the orchestrator and everything else call those, never
 * `query` with a statement of their own. This script parses every production source file under `src/`
 * outside those two folders with the TypeScript compiler and reports each string that reads as an SQL
 * statement:
 *
 *   src/engine/timers.ts:112  insert into timers (key, kind, run_id, task_id, fire_at, payl…
 *
 * then a count, and exits 1 if there is any. Run it with `npm run check:sql` (part of `npm run check`).
 *
 * What counts as a string: string literals, no-substitution template literals, whole template
 * expressions (each `${…}` read as an identifier, so `select ${COLUMNS} from timers` is caught) and
 * `+` chains of them. What reads as SQL: a statement's shape, not a keyword alone, so that prose such
 * as "select a phase from the list" passes (see `SQL_SHAPES`). Keywords must be all lower or all upper
 * case: prose capitalises its first word, SQL does not. The first argument of a `.query(…)` call is
 * held to a looser test (any statement verb at its start, `select 1` included), since the call says
 * what the string is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Folders that own SQL (relative to the repository root, `/`-separated). */
export const SQL_HOMES = ['src/storage/', 'src/queue/'] as const;

/**
 * Files and folders the check skips, each with its reason. Nothing else is skipped: if a file outside
 * the SQL homes needs a statement, the statement moves into a repository instead of onto this list.
 */
export const EXCLUSIONS: ReadonlyArray<{ test: (path: string) => boolean; reason: string }> = [
  {
    test: (path) => /\.test\.[cm]?[jt]s$/.test(path),
    reason: 'unit tests beside the code may set up and inspect rows directly',
  },
  {
    test: (path) => path.startsWith('src/agents/build/app/templates/'),
    reason:
      'source text of the GENERATED application, which uses node:sqlite for its own data; not our database access',
  },
  {
    test: (path) => path.endsWith('.d.ts'),
    reason: 'declarations hold no statements that run',
  },
];

const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;

export interface SqlHit {
  /** Repository-relative path, `/`-separated. */
  file: string;
  line: number;
  /** The string with whitespace collapsed and each `${…}` shown as written. */
  text: string;
}

// An identifier, optionally schema-qualified or quoted ("Table"), as SQL names tables and columns.
const NAME = String.raw`(?:"[^"]+"|[A-Za-z_][\w$]*)`;
const IDENT = String.raw`${NAME}(?:\.${NAME})*`;
const ALIAS = String.raw`(?:\s+(?:as\s+)?(?!where\b|set\b|returning\b|using\b)${NAME})?`;

/** Markers no English sentence carries; a weak shape needs one of them to count. */
const SQL_MARKERS: readonly RegExp[] = [
  /\$\d+/, // positional parameter
  /::[a-z_]+/, // cast
  new RegExp(
    String.raw`\bwhere\s+${IDENT}\s*(?:=|<>|!=|<=|>=|<|>|@>|\bin\b|\bis\b|\blike\b|\bilike\b|\bbetween\b)`,
  ),
  /\bwhere\s+(?:not\s+)?exists\s*\(/,
  /\b(?:order|group|partition)\s+by\s+[\w"]/,
  /\blimit\s+(?:\d|\$|__expr__)/,
  new RegExp(
    String.raw`\b(?:inner\s+|left\s+|right\s+|full\s+|cross\s+)?join\s+${IDENT}${ALIAS}\s+(?:on|using)\b`,
  ),
  /\bcount\(\s*(?:\*|distinct\b|[\w.]+\s*\))/,
  /\bfor\s+(?:update|share|no\s+key\s+update)\b/,
  /\bskip\s+locked\b/,
  /\bon\s+conflict\b/,
  /\bunion\s+all\b/,
  /\b(?:now|clock_timestamp|gen_random_uuid)\(\)/,
];

interface Shape {
  name: string;
  pattern: RegExp;
  /** A weak shape counts only together with one of SQL_MARKERS. */
  needsMarker?: boolean;
}

/** Statement shapes, in the lowercase form SQL is read in here (see `normalise`). */
export const SQL_SHAPES: readonly Shape[] = [
  {
    name: 'insert',
    pattern: new RegExp(
      String.raw`\binsert\s+into\s+${IDENT}\s*(?:\(|values\b|select\b|default\s+values\b|overriding\b)`,
    ),
  },
  {
    name: 'update',
    pattern: new RegExp(String.raw`\bupdate\s+(?:only\s+)?${IDENT}${ALIAS}\s+set\s+(?:${NAME}|\()\s*[=,)]`),
  },
  {
    name: 'delete',
    pattern: new RegExp(
      String.raw`\bdelete\s+from\s+(?:only\s+)?${IDENT}${ALIAS}\s*(?:where\b|returning\b|using\b|;)`,
    ),
  },
  { name: 'delete-all', pattern: new RegExp(String.raw`\bdelete\s+from\s+${IDENT}\s*$`), needsMarker: true },
  // A list of expressions (identifiers, *, calls, casts, aliases) between select and from.
  {
    name: 'select-list',
    pattern: new RegExp(
      String.raw`\bselect\s+(?:distinct\s+)?(?:\*|${IDENT}(?:\.\*)?|[\w.]+\([^()]*\))(?:::\w+)?(?:\s+as\s+${NAME})?` +
        String.raw`(?:\s*,\s*(?:\*|${IDENT}(?:\.\*)?|[\w.]+\([^()]*\)|'[^']*'|\d+)(?:::\w+)?(?:\s+as\s+${NAME})?)*\s+from\s+${IDENT}`,
    ),
  },
  { name: 'select', pattern: new RegExp(String.raw`\bselect\b[\s\S]*?\bfrom\s+${IDENT}`), needsMarker: true },
  { name: 'select-expr', pattern: /^\(?\s*select\s+[\s\S]*\$\d/ },
  {
    name: 'cte',
    pattern: new RegExp(
      String.raw`\bwith\s+(?:recursive\s+)?${NAME}(?:\s*\([^)]*\))?\s+as\s+(?:not\s+)?(?:materialized\s+)?\(`,
    ),
  },
  {
    name: 'ddl',
    pattern: new RegExp(
      String.raw`\b(?:create|alter|drop)\s+(?:or\s+replace\s+)?(?:unique\s+|temp(?:orary)?\s+|unlogged\s+)?` +
        String.raw`(?:table|index|view|materialized\s+view|function|procedure|trigger|schema|sequence|type|extension)\s+(?:if\s+(?:not\s+)?exists\s+|concurrently\s+)?${IDENT}`,
    ),
  },
  { name: 'notify', pattern: /\bpg_notify\s*\(/ },
  { name: 'advisory-lock', pattern: /\bpg_(?:try_)?advisory_(?:xact_)?(?:un)?lock(?:_shared|_all)?\s*\(/ },
  {
    name: 'listen',
    pattern: new RegExp(String.raw`^\s*(?:listen|unlisten|notify)\s+(?:${IDENT}|\*)\s*(?:,|;|$)`),
  },
  { name: 'lock-table', pattern: new RegExp(String.raw`\block\s+table\s+(?:only\s+)?${IDENT}`) },
  { name: 'truncate', pattern: new RegExp(String.raw`^\s*truncate\s+(?:table\s+)?${IDENT}`) },
  {
    name: 'returning',
    pattern: new RegExp(String.raw`\breturning\s+(?:\*|${IDENT}(?:\s*,\s*${IDENT})*)`),
    needsMarker: true,
  },
];

/** A statement verb at the start: enough for the first argument of `.query(…)`. */
const STATEMENT_START =
  /^\s*\(?\s*(?:(?:select|insert|update|delete|with|create|alter|drop|truncate|lock|listen|unlisten|notify|set|reset|show|vacuum|analyze|explain|copy|grant|revoke|comment|refresh|call|do|savepoint|release)\s+\S|(?:begin|commit|rollback|start\s+transaction)\b)/;

/** Placeholder for a `${…}` substitution or a non-literal operand: it reads as an identifier. */
const SUBSTITUTION = '__expr__';

/**
 * Lowercases every all-uppercase word (SELECT → select) and collapses whitespace. Capitalised words
 * ("Select a phase…") keep their capital, so the lowercase shapes never read a sentence's first word as SQL.
 */
export function normalise(text: string): string {
  return text
    .replace(/\b[A-Z][A-Z_]+\b/g, (word) => word.toLowerCase())
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whether `text` reads as an SQL statement (see SQL_SHAPES and SQL_MARKERS). */
export function readsAsSql(text: string): boolean {
  const sql = normalise(text);
  const marked = SQL_MARKERS.some((marker) => marker.test(sql));
  return SQL_SHAPES.some((shape) => shape.pattern.test(sql) && (!shape.needsMarker || marked));
}

/** Whether `text`, passed as the statement of a `.query(…)` call, is one. */
export function readsAsQueryArgument(text: string): boolean {
  return readsAsSql(text) || STATEMENT_START.test(normalise(text));
}

interface StringValue {
  node: ts.Node;
  /** For matching: substitutions replaced by an identifier. */
  matchText: string;
  /** For display: substitutions as written. */
  displayText: string;
}

/** The string an expression spells, when it is a literal, a template, or a `+` chain with a literal in it. */
function stringValue(node: ts.Node, source: ts.SourceFile): StringValue | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    return { node, matchText: node.text, displayText: node.text };
  if (ts.isTemplateExpression(node)) {
    let matchText = node.head.text;
    let displayText = node.head.text;
    for (const span of node.templateSpans) {
      matchText += SUBSTITUTION + span.literal.text;
      displayText += `\${${span.expression.getText(source)}}` + span.literal.text;
    }
    return { node, matchText, displayText };
  }
  if (ts.isParenthesizedExpression(node)) return stringValue(node.expression, source);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const operands = flattenPlus(node);
    const values = operands.map((operand) => stringValue(operand, source));
    if (values.every((value) => value === undefined)) return undefined;
    return {
      node,
      matchText: values.map((value) => value?.matchText ?? SUBSTITUTION).join(''),
      displayText: values
        .map((value, i) => value?.displayText ?? `\${${operands[i]?.getText(source)}}`)
        .join(''),
    };
  }
  return undefined;
}

function flattenPlus(node: ts.Expression): ts.Expression[] {
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken)
    return [...flattenPlus(node.left), ...flattenPlus(node.right)];
  return [node];
}

/** `const NAME = <string>` declarations of the file, so `.query(NAME)` is read as the string it names. */
function constStrings(source: ts.SourceFile): Map<string, StringValue> {
  const found = new Map<string, StringValue>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isVariableDeclarationList(node.parent) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0
    ) {
      const value = stringValue(node.initializer, source);
      if (value) found.set(node.name.text, value);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isQueryCall(node: ts.Node): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === 'query' &&
    node.arguments.length > 0
  );
}

/** Every SQL statement spelled in one file's source text. */
export function findSqlInSource(file: string, text: string): SqlHit[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(file));
  const named = constStrings(source);
  const hits = new Map<number, SqlHit>();
  const report = (value: StringValue): void => {
    const start = value.node.getStart(source);
    if (hits.has(start)) return;
    const line = source.getLineAndCharacterOfPosition(start).line + 1;
    hits.set(start, { file, line, text: value.displayText.replace(/\s+/g, ' ').trim() });
  };
  const visit = (node: ts.Node): void => {
    if (isQueryCall(node)) {
      const first = node.arguments[0] as ts.Expression;
      const value = ts.isIdentifier(first) ? named.get(first.text) : stringValue(first, source);
      if (value && readsAsQueryArgument(value.matchText)) report(value);
    }
    const value = stringValue(node, source);
    if (value) {
      if (readsAsSql(value.matchText)) report(value);
      // A template's or chain's parts are read as one string above; a part that is SQL on its own
      // (a literal inside a `${…}`) is still found by visiting the substitutions.
      if (ts.isTemplateExpression(node)) for (const span of node.templateSpans) visit(span.expression);
      else if (ts.isBinaryExpression(node)) for (const operand of flattenPlus(node)) visit(operand);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...hits.values()].sort((a, b) => a.line - b.line);
}

function scriptKind(file: string): ts.ScriptKind {
  return /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}

/** Whether the check reads this repository-relative path. */
export function isChecked(path: string): boolean {
  return (
    path.startsWith('src/') &&
    SOURCE_FILE.test(path) &&
    !SQL_HOMES.some((home) => path.startsWith(home)) &&
    !EXCLUSIONS.some((exclusion) => exclusion.test(path))
  );
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listFiles(path);
    return entry.isFile() ? [path] : [];
  });
}

/** Every SQL statement outside the SQL homes in the repository at `root`. */
export function checkRepository(root: string): SqlHit[] {
  return listFiles(join(root, 'src'))
    .map((path) => relative(root, path).split(sep).join('/'))
    .filter(isChecked)
    .sort()
    .flatMap((file) => findSqlInSource(file, readFileSync(join(root, file), 'utf8')));
}

export function formatHit(hit: SqlHit): string {
  return `${hit.file}:${hit.line}  ${hit.text.slice(0, 60)}`;
}

function main(): number {
  const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url));
  const hits = checkRepository(root);
  for (const hit of hits) console.log(formatHit(hit));
  const files = new Set(hits.map((hit) => hit.file)).size;
  if (hits.length === 0) {
    console.log(`check:sql: no SQL outside ${SQL_HOMES.join(' and ')}`);
    return 0;
  }
  console.log(
    `check:sql: ${hits.length} SQL statement(s) in ${files} file(s) outside ${SQL_HOMES.join(' and ')}; ` +
      'move them into a repository there (architecture.md §3)',
  );
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
