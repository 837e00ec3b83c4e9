import { dast, privacy, supplyChain, threatModel } from './assessments.ts';
import { container, iac, sast, sca, secrets } from './scanners.ts';

export const securityAgents = [
  secrets,
  sca,
  sast,
  iac,
  container,
  privacy,
  threatModel,
  dast,
  supplyChain,
] as const;
