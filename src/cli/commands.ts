// The command table. Each command lives in its own module.
import type { Command } from './io.js';
import { checkCommand } from './check.js';

export const commands: Command[] = [checkCommand];
