/**
 * TEST-ONLY: `ideamine` with the faulty model in front of the configured one. The faults are named in
 * IDEAMINE_TEST_FAULTS (comma-separated keys of CODE_FAULTS). The product binary has no such hook.
 *
 *   node test/support/faulty-cli.ts run "<idea>"    (with IDEAMINE_TEST_FAULTS=wrong-delete-status,...)
 */
import { main } from '../../src/cli/main.ts';
import { CODE_FAULTS } from './code-faults.ts';
import { faultyModel } from './faulty-model.ts';

const names = (process.env['IDEAMINE_TEST_FAULTS'] ?? '').split(',').filter((n) => n !== '');
const faults = names.map((name) => {
  const make = CODE_FAULTS[name];
  if (!make) throw new Error(`unknown test fault "${name}"; known: ${Object.keys(CODE_FAULTS).join(', ')}`);
  return make();
});
process.exit(await main(process.argv, { runtime: { modelDecorator: (m) => faultyModel(m, faults) } }));
