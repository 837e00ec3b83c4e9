import { openRuntime, type Runtime } from '../runtime.ts';
import type { CliContext } from './context.ts';

/** Opens the runtime for one command and always closes it (releasing the embedded data dir's lock). */
export async function withRuntime<T>(cli: CliContext, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const options = cli.options();
  const runtime = await openRuntime(options, cli.logger(options));
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}
