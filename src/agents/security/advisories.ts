import type { Severity } from '../shared/schemas.ts';

/**
 * A small built-in advisory table for the offline dependency audit: real, public advisories for
 * packages JavaScript projects commonly pull in. The online `dependency-audit` tool replaces it.
 */
export interface Advisory {
  packageName: string;
  /** Versions strictly below this are affected. */
  fixedIn: string;
  cve: string;
  cwe: string;
  severity: Severity;
  title: string;
}

export const ADVISORIES: readonly Advisory[] = [
  {
    packageName: 'minimist',
    fixedIn: '1.2.6',
    cve: 'CVE-2021-44906',
    cwe: 'CWE-1321',
    severity: 'critical',
    title: 'Prototype pollution in minimist',
  },
  {
    packageName: 'lodash',
    fixedIn: '4.17.21',
    cve: 'CVE-2021-23337',
    cwe: 'CWE-94',
    severity: 'high',
    title: 'Command injection via lodash template',
  },
  {
    packageName: 'ws',
    fixedIn: '8.17.1',
    cve: 'CVE-2024-37890',
    cwe: 'CWE-476',
    severity: 'high',
    title: 'Denial of service with many HTTP headers in ws',
  },
  {
    packageName: 'semver',
    fixedIn: '7.5.2',
    cve: 'CVE-2022-25883',
    cwe: 'CWE-1333',
    severity: 'high',
    title: 'Regular expression denial of service in semver',
  },
  {
    packageName: 'axios',
    fixedIn: '1.6.0',
    cve: 'CVE-2023-45857',
    cwe: 'CWE-352',
    severity: 'medium',
    title: 'XSRF-TOKEN leaked to third-party hosts by axios',
  },
  {
    packageName: 'express',
    fixedIn: '4.19.2',
    cve: 'CVE-2024-29041',
    cwe: 'CWE-601',
    severity: 'medium',
    title: 'Open redirect in express res.location',
  },
];

function parts(version: string): number[] {
  return version
    .split(/[.+-]/)
    .slice(0, 3)
    .map((x) => Number.parseInt(x, 10) || 0);
}

/** Numeric semver comparison of major.minor.patch (pre-release tags ignored). */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export function advisoriesFor(packageName: string, version: string): Advisory[] {
  return ADVISORIES.filter((a) => a.packageName === packageName && compareVersions(version, a.fixedIn) < 0);
}
