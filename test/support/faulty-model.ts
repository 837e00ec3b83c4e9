import type { z } from 'zod';
import { RedTeamFindings, RiskRegister } from '../../src/agents/critique/schemas.ts';
import { Personas } from '../../src/agents/ideation/schemas.ts';
import { NFRs } from '../../src/agents/prd/schemas.ts';
import type { AgentDefinition, AgentInput } from '../../src/core/agent.ts';
import { ErrorClass, ErrorCode, IdeaMineError } from '../../src/core/errors.ts';
import type { Model, ModelRequest, ModelResponse } from '../../src/llm/model.ts';

/**
 * A TEST-ONLY faulty model: it delegates every call to the real model (the offline one in tests) and,
 * for the calls a fault selects, passes the output through the fault's `mutate`. This is how a test
 * makes a gate fail on purpose: the product has no fault injection of its own, and a real fix is
 * whatever the re-run agent produces, not an obedience to the hint's wording.
 *
 * Put it in front of the runtime's model with `openHarness({ modelDecorator: (m) => faultyModel(m, faults) })`.
 * Unit tests of the synthesizers use the same faults through `faultTransform` with `runPhaseUntilPass`.
 */

/** Which calls of the agent are faulty, counted per agent from 1. */
export type FaultCalls = 'first' | 'all' | readonly number[];

export interface Fault {
  agentId: string;
  calls: FaultCalls;
  /** The faulty output. Must still satisfy the agent's schema (`request.schema`), or the call throws. */
  mutate(output: unknown, request: ModelRequest<unknown>): unknown;
}

export interface FaultyModel extends Model {
  /** Calls made so far, by agent id (faulty or not). */
  readonly calls: ReadonlyMap<string, number>;
  /** Every call that a fault changed, in order. */
  readonly injected: readonly { agentId: string; call: number }[];
}

export function selects(calls: FaultCalls, call: number): boolean {
  if (calls === 'all') return true;
  if (calls === 'first') return call === 1;
  return calls.includes(call);
}

/** Applies the faults matching this call of `request.agent`; throws when a fault breaks the schema. */
function applyFaults<O>(faults: readonly Fault[], request: ModelRequest<O>, call: number, output: O): O {
  const matching = faults.filter((f) => f.agentId === request.agent.id && selects(f.calls, call));
  let current: unknown = output;
  for (const fault of matching) {
    const mutated = fault.mutate(structuredClone(current), request as ModelRequest<unknown>);
    const parsed = request.schema.safeParse(mutated);
    if (!parsed.success) {
      // Fatal, not retryable: a retry would be the next call, which the fault may not select, and
      // the malformed fault would go unnoticed.
      throw new IdeaMineError(
        ErrorCode.modelError,
        `malformed test fault for ${request.agent.id} (call ${call}): its output does not match the agent's schema: ${parsed.error.message}`,
        { errorClass: ErrorClass.fatal, retryable: false, details: { agent: request.agent.id, call } },
      );
    }
    current = parsed.data;
  }
  return current as O;
}

export function faultyModel(inner: Model, faults: readonly Fault[]): FaultyModel {
  const calls = new Map<string, number>();
  const injected: { agentId: string; call: number }[] = [];
  return {
    // The inner model's id: the runtime treats the faulty offline model as the offline model.
    id: inner.id,
    calls,
    injected,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      const agentId = request.agent.id;
      const call = (calls.get(agentId) ?? 0) + 1;
      calls.set(agentId, call);
      const response = await inner.generate(request);
      if (!faults.some((f) => f.agentId === agentId && selects(f.calls, call))) return response;
      injected.push({ agentId, call });
      return { ...response, output: applyFaults(faults, request, call, response.output) };
    },
  };
}

/**
 * The same faults for the in-memory simulation (`runPhaseUntilPass(..., { transform })` in
 * src/agents/testing/simulate.ts), where each attempt calls each agent once: call n is attempt n.
 */
export function faultTransform(
  faults: readonly Fault[],
): (agent: AgentDefinition, output: unknown, input: AgentInput) => unknown {
  const calls = new Map<string, number>();
  return (agent, output, input) => {
    const call = (calls.get(agent.id) ?? 0) + 1;
    calls.set(agent.id, call);
    const request: ModelRequest<unknown> = {
      agent: { id: agent.id, version: agent.version },
      system: agent.system,
      prompt: agent.prompt(input),
      schema: agent.outputSchema,
    };
    return applyFaults(faults, request, call, agent.outputSchema.parse(output));
  };
}

/** A typed fault: `mutate` gets the output parsed by `schema` (the agent's output schema). */
export function defineFault<T>(
  agentId: string,
  schema: z.ZodType<T>,
  mutate: (output: T, request: ModelRequest<unknown>) => NoInfer<T>,
  calls: FaultCalls = 'first',
): Fault {
  return { agentId, calls, mutate: (output, request) => mutate(schema.parse(output), request) };
}

// Ready-made faults. Each takes which calls are faulty: 'first' (the default) is a transient fault the
// loop-until-pass gate recovers from by re-running the agent; 'all' is one it never recovers from.

/** critique.red-team reports two unresolved contradictions: fails `contradictions_max` (0). */
export function unresolvedContradictions(calls: FaultCalls = 'first'): Fault {
  return defineFault(
    'critique.red-team',
    RedTeamFindings,
    (o): RedTeamFindings => ({
      findings: [
        ...o.findings,
        {
          id: 'RT-FAULT-1',
          kind: 'contradiction',
          severity: 'high',
          statement:
            'The vision promises the simplest product, yet the goals require every feature at launch.',
          refs: ['vision', 'G1'],
          resolved: false,
        },
        {
          id: 'RT-FAULT-2',
          kind: 'contradiction',
          severity: 'medium',
          statement: '"Onboarding under 5 minutes" (A1) conflicts with the consent and verification steps.',
          refs: ['A1'],
          resolved: false,
        },
      ],
    }),
    calls,
  );
}

/** critique.risk-analyst adds a critical risk with no mitigation: fails `critical_risks_unmitigated_max` (0). */
export function unmitigatedCriticalRisk(calls: FaultCalls = 'first'): Fault {
  return defineFault(
    'critique.risk-analyst',
    RiskRegister,
    (o): RiskRegister => ({
      risks: [
        ...o.risks,
        {
          id: `R${o.risks.length + 1}`,
          title: 'A single cloud region hosts all the data.',
          category: 'operational',
          severity: 'critical',
          likelihood: 'low',
          owner: 'Engineering',
        },
      ],
    }),
    calls,
  );
}

/** ideation.persona writes a single persona: fails `personas_count_range` ([3, 5]). */
export function singlePersona(calls: FaultCalls = 'first'): Fault {
  return defineFault(
    'ideation.persona',
    Personas,
    (o) => ({ ...o, personas: o.personas.slice(0, 1) }),
    calls,
  );
}

/** prd.nfrs writes a single NFR: fails `nfr_count_min` (5). */
export function singleNfr(calls: FaultCalls = 'first'): Fault {
  return defineFault('prd.nfrs', NFRs, (o) => ({ ...o, nfrs: o.nfrs.slice(0, 1) }), calls);
}
