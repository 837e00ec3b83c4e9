import { critiqueGuard, ideationGuard, intakeGuard } from './discovery.ts';
import { buildGuard, storyLoopGuard } from './engineering.ts';
import type { Guard } from './guard.ts';
import { architectureGuard, bizdevGuard, prdGuard } from './product.ts';
import { aestheticGuard, betaGuard, qaGuard, releaseGuard } from './quality.ts';
import { securityGuard } from './security.ts';

export const builtinGuards: readonly Guard[] = [
  intakeGuard,
  ideationGuard,
  critiqueGuard,
  prdGuard,
  bizdevGuard,
  architectureGuard,
  buildGuard,
  securityGuard,
  storyLoopGuard,
  qaGuard,
  aestheticGuard,
  releaseGuard,
  betaGuard,
];
