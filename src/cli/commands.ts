// The command table. Each command lives in its own module.
import type { Command } from './io.js';
import { buildCommand } from './build.js';
import { checkCommand } from './check.js';
import { graphCommand } from './graph.js';
import { infoCommand } from './info.js';
import { pathCommand } from './path.js';
import { runCommand } from './run.js';

export const commands: Command[] = [checkCommand, infoCommand, graphCommand, buildCommand, runCommand, pathCommand];
