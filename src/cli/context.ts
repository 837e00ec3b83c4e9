import { type OptionFlags, type ResolvedOptions, resolveOptions } from '../config/options.ts';
import { resolveModel } from '../llm/model-registry.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import type { RuntimeOptions } from '../runtime.ts';
import type { DoctorCheck } from './commands/doctor.ts';

/** What every command gets: options resolved once (defaults < env < flags), and a logger. */
export interface CliContext {
  options(flags?: OptionFlags): ResolvedOptions & RuntimeOptions;
  logger(options: ResolvedOptions): Logger;
  checkModel(options: ResolvedOptions): Promise<DoctorCheck>;
}

/** What an embedder may add to every command's runtime (the binary adds nothing). */
export interface CliHooks {
  runtime?: Pick<RuntimeOptions, 'modelDecorator'>;
}

export function createCliContext(globalFlags: () => OptionFlags, hooks: CliHooks = {}): CliContext {
  return {
    options: (flags = {}) => ({
      ...resolveOptions({ flags: { ...globalFlags(), ...flags } }),
      ...(hooks.runtime ?? {}),
    }),
    logger: (options) => createLogger({ level: options.logLevel }),
    checkModel: async (options) => {
      try {
        const model = resolveModel(options.model, {
          ...(options.modelBaseUrl ? { baseUrl: options.modelBaseUrl } : {}),
          ...options.providerKeys,
        });
        const note = model.id === 'offline' ? ' (deterministic, no network, no API key)' : '';
        return { name: 'model', ok: true, detail: `${model.id}${note}` };
      } catch (error) {
        return { name: 'model', ok: false, detail: `${options.model}: ${(error as Error).message}` };
      }
    },
  };
}
