// Writes src/parser/cst.d.ts, the CST node types of the .tn grammar, from the grammar itself.
// Run after changing src/parser/grammar.ts: `npx tsx scripts/gen-cst-types.ts`. A parser test
// fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { cstTypesText } from '../src/parser/grammar.js';

writeFileSync(new URL('../src/parser/cst.d.ts', import.meta.url), cstTypesText());
