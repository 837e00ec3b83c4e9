import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on the Node the project pins (24), not the machine default', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major).toBe(24);
    console.log(`[node] tests ran on ${process.version} (${process.execPath})`);
  });
});
