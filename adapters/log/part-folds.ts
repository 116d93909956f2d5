// The folds a log can be folded with in parts (parts.ts), by name: a worker is
// given names, not functions. Each is loaded when used.
import type { StoredEvent } from '../../src/ports.js';
import type { Policy } from '../../src/policy.js';
import { createReplay } from '../../projections/replay.js';
import type { WhatIfContext } from '../../projections/what-if.js';
import type { StreamHead } from '../shared/log-reader.js';

/**
 * A fold that can run in a part. What it gives crosses threads, so it is plain
 * data: `part()` after the read; for a fold in two phases, `finish(input)` then
 * gives its final result from an input the caller makes from every part's `part()`.
 */
export interface PartFold {
  push(e: StoredEvent, stream: StreamHead): void;
  part(): unknown;
  finish?(input: unknown): unknown;
}

/** The second phase of a what-if in parts. */
export interface WhatIfJudgement {
  readonly policy: Policy;
  readonly context: WhatIfContext;
}

export const PART_FOLDS = {
  replay: async (): Promise<PartFold> => createReplay(),
  'what-if': async (): Promise<PartFold> => {
    const { createWhatIf } = await import('../../projections/what-if.js');
    const f = createWhatIf();
    return {
      push: (e, stream) => f.push(e, stream),
      part: () => f.scanned(),
      finish: (input) => {
        const { policy, context } = input as WhatIfJudgement;
        return f.judge(policy, context);
      },
    };
  },
} as const;

export type PartKind = keyof typeof PART_FOLDS;
