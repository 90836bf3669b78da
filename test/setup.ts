// fast-check run counts are sized for two cores; FC_NUM_RUNS scales them (e.g. 1000 locally).
import fc from 'fast-check';

const runs = Number(process.env.FC_NUM_RUNS ?? '100');
fc.configureGlobal({ numRuns: Number.isFinite(runs) && runs > 0 ? runs : 100, interruptAfterTimeLimit: 60_000 });
