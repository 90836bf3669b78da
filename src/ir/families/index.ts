// Registry of model families by name. Each family lives in its own module and is listed here.
import type { Family } from './types.js';
import { cp } from './cp.js';
import { tucker } from './tucker.js';
import { tt } from './tt.js';
import { ttm } from './ttm.js';
import { peps } from './peps.js';
import { ht } from './ht.js';
import { circuit } from './circuit.js';

export type { Family, FamilyArg, FamilyCall, FamilyContext, FamilyExpansion, FamilyValue, FactorTemplate } from './types.js';

/** Every built-in family, in documentation order. */
export const families: Family[] = [cp, tucker, tt, ttm, peps, ht, circuit];

/** The family with this name, or undefined. */
export function getFamily(name: string): Family | undefined {
  return families.find((f) => f.name === name);
}
