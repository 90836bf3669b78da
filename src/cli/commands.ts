// The command table. Each command lives in its own module.
import type { Command } from './io.js';

export const commands: Command[] = [];
