// A `node --test` reporter writing the runner's own events as JSON lines. The counts and coverage
// totals are the very objects the spec reporter prints (`ℹ tests N`, the `all files` row), so a report
// built from them equals what a person sees running `node --test` by hand.

const MAX_MESSAGE_CHARS = 2000;
const MAX_MESSAGE_LINES = 20;

function messageOf(error) {
  if (!error) return undefined;
  const cause = error.cause ?? error;
  const text = typeof cause === 'object' && cause !== null ? String(cause.message ?? cause) : String(cause);
  return text.split('\n').slice(0, MAX_MESSAGE_LINES).join('\n').slice(0, MAX_MESSAGE_CHARS);
}

export default async function* jsonLines(source) {
  // Per file, the names of the tests being reported, by nesting level: a leaf's full name.
  const stacks = new Map();
  for await (const event of source) {
    const data = event.data ?? {};
    switch (event.type) {
      case 'test:start': {
        const stack = stacks.get(data.file) ?? [];
        stack.length = data.nesting;
        stack.push(data.name);
        stacks.set(data.file, stack);
        break;
      }
      case 'test:pass':
      case 'test:fail': {
        const stack = stacks.get(data.file) ?? [];
        const path = [...stack.slice(0, data.nesting), data.name];
        const error = data.details?.error;
        yield `${JSON.stringify({
          event: 'test',
          name: path.join(' > '),
          file: data.file,
          nesting: data.nesting,
          type: data.details?.type ?? 'test',
          passed: event.type === 'test:pass',
          skip: data.skip !== undefined && data.skip !== false,
          todo: data.todo !== undefined && data.todo !== false,
          cancelled: error?.failureType === 'cancelledByParent',
          durationMs: data.details?.duration_ms ?? 0,
          message: event.type === 'test:fail' ? messageOf(error) : undefined,
        })}\n`;
        break;
      }
      case 'test:summary':
        if (data.file === undefined) {
          yield `${JSON.stringify({ event: 'summary', counts: data.counts, durationMs: data.duration_ms })}\n`;
        }
        break;
      case 'test:coverage': {
        const summary = data.summary;
        yield `${JSON.stringify({
          event: 'coverage',
          totals: summary.totals,
          files: summary.files.map((f) => ({
            path: f.path,
            coveredLinePercent: f.coveredLinePercent,
            coveredBranchPercent: f.coveredBranchPercent,
            coveredFunctionPercent: f.coveredFunctionPercent,
            totalLineCount: f.totalLineCount,
            coveredLineCount: f.coveredLineCount,
            totalBranchCount: f.totalBranchCount,
            coveredBranchCount: f.coveredBranchCount,
            totalFunctionCount: f.totalFunctionCount,
            coveredFunctionCount: f.coveredFunctionCount,
          })),
        })}\n`;
        break;
      }
      default:
        break;
    }
  }
}
