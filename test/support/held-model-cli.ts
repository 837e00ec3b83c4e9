/**
 * TEST-ONLY: `ideamine` whose model holds chosen calls forever, so that a test can kill -9 the process
 * while those calls are surely in flight (their budget reserved, no answer yet). The product binary
 * has no such hook.
 *
 *   IDEAMINE_TEST_HOLD=prd.,qav.answer-agent#3 IDEAMINE_TEST_HOLD_DIR=/tmp/x node test/support/held-model-cli.ts run "<idea>"
 *
 * IDEAMINE_TEST_HOLD: comma-separated agent-id prefixes; `prefix#n` holds only the n-th call matching
 * the prefix. For every held call a file `<agent id>.<n>.held` is written to IDEAMINE_TEST_HOLD_DIR
 * once the call has started — the state a test waits for before it kills.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import type { Model, ModelRequest, ModelResponse } from '../../src/llm/model.ts';

interface HoldRule {
  prefix: string;
  nth: number | undefined;
  seen: number;
}

const rules: HoldRule[] = (process.env['IDEAMINE_TEST_HOLD'] ?? '')
  .split(',')
  .filter((r) => r !== '')
  .map((r) => {
    const [prefix = '', nth] = r.split('#');
    return { prefix, nth: nth === undefined ? undefined : Number(nth), seen: 0 };
  });
const dir = process.env['IDEAMINE_TEST_HOLD_DIR'] ?? '.';
let held = 0;

function shouldHold(agentId: string): boolean {
  let hold = false;
  for (const rule of rules) {
    if (!agentId.startsWith(rule.prefix)) continue;
    rule.seen++;
    if (rule.nth === undefined || rule.nth === rule.seen) hold = true;
  }
  return hold;
}

function holding(inner: Model): Model {
  return {
    id: inner.id,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      if (!shouldHold(request.agent.id)) return inner.generate(request);
      held++;
      writeFileSync(join(dir, `${request.agent.id}.${held}.held`), `${process.pid}\n`);
      // Never answers: the test kills this process while the call is in flight.
      return new Promise<never>((_resolve, reject) => {
        request.signal?.addEventListener('abort', () => reject(request.signal?.reason));
      });
    },
  };
}

process.exit(await main(process.argv, { runtime: { modelDecorator: holding } }));
