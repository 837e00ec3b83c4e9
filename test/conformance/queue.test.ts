import { describe, it } from 'vitest';
import { drivers } from '../support/services.ts';
import { queueSuite } from './queue-suite.ts';

for (const driver of drivers) {
  if (driver.available) queueSuite(driver.name, driver.open);
  else
    describe.skip(`queue conformance: ${driver.name} (service unreachable)`, () => it('skipped', () => {}));
}
