import { privacy, threatModel } from './assessments.ts';

/** The security phase's agents; its scanners are tools (config/phases/security.yaml `measure`). */
export const securityAgents = [privacy, threatModel] as const;
