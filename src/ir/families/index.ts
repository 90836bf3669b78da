// Registry of model families by name. Each family lives in its own module and is listed here.
import type { Family } from './types.js';

export type { Family, FamilyArg, FamilyCall, FamilyContext, FamilyExpansion, FamilyValue, FactorTemplate } from './types.js';

/** Every built-in family, in documentation order. */
export const families: Family[] = [];

/** The family with this name, or undefined. */
export function getFamily(name: string): Family | undefined {
  return families.find((f) => f.name === name);
}
