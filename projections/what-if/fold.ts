// The what-if fold: a log's events, one at a time, into each organization's
// policies and each mailbox stream's state (see lean-fold.ts), judged on demand.
import { formatIssues } from '../../src/codec.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import { decodeEvent, fastAccepts, type DomainEvent } from '../../src/events.js';
import { withDefaults, type Policy } from '../../src/policy.js';
import { emptyLeanMailbox, foldMailbox, type Folded } from './lean-fold.js';
import { judge } from './judge.js';
import { mergeWhatIfParts, whatIfContext } from './parts.js';
import type { OrgPolicies, WhatIfFold, WhatIfOptions, WhatIfResult } from './types.js';

const INVALID_SHOWN = 20;

/** The same fold as `whatIf`, one event at a time (for readers that stream a log). */
export function createWhatIf(): WhatIfFold {
  const orgs = new Map<string, OrgPolicies>();
  const mailboxes = new Map<string, Folded>();
  let invalid = 0;
  const invalidEvents: Array<{ position: number; message: string }> = [];
  let count = 0;
  let lastPosition = -1;
  let lastAt = '';
  const fold: WhatIfFold = {
    push(raw, slot) {
      count++;
      lastPosition = raw.position;
      lastAt = raw.at;
      const isOrg = raw.stream.startsWith('eas-org-');
      if (isOrg && raw.type !== 'PolicyChanged') return;
      if (!isOrg && !raw.stream.startsWith('eas-mailbox-')) return;
      let e: DomainEvent;
      // As in replay: an event the fast check accepts is its own domain event.
      if (fastAccepts(raw.type, raw.data) === true) e = raw as unknown as DomainEvent;
      else {
        const d = decodeEvent(raw.type, raw.data);
        if (isLeft(d)) {
          if (++invalid <= INVALID_SHOWN)
            invalidEvents.push({ position: raw.position, message: `${raw.stream} #${raw.revision} ${raw.type}: ${formatIssues(d.left)}` });
          return;
        }
        e = d.right;
      }
      if (e.type === 'PolicyChanged') {
        const org = raw.stream.slice('eas-org-'.length);
        const p: OrgPolicies = orgs.get(org) ?? { byRevision: new Map() };
        const policy = withDefaults(e.data.policy);
        p.byRevision.set(e.data.revision, policy);
        p.latest = { revision: e.data.revision, policy };
        orgs.set(org, p);
        return;
      }
      let f = (slot?.state as Folded | undefined) ?? mailboxes.get(raw.stream);
      if (f === undefined) {
        f = { position: raw.position, lean: emptyLeanMailbox(), exact: undefined };
        mailboxes.set(raw.stream, f);
      }
      if (slot !== undefined) slot.state = f;
      foldMailbox(f, e, raw.at);
    },
    get count() {
      return count;
    },
    result(policy, options = {}) {
      const context = whatIfContext([fold.scanned()], options);
      return mergeWhatIfParts([fold.judge(policy, context)], context, policy);
    },
    scanned() {
      return { organizations: [...orgs], ...(count > 0 ? { last: { position: lastPosition, at: lastAt } } : {}), invalid, invalidEvents };
    },
    judge(policy, context) {
      return judge(new Map(context.organizations), mailboxes, policy, Date.parse(context.at));
    },
  };
  return fold;
}

/**
 * Decides every device of the log again under `policy`, from the log's latest
 * facts, judged at `options.at` (default: the log's last event). Touches nothing.
 */
export function whatIf(events: readonly StoredEvent[], policy: Policy, options: WhatIfOptions = {}): WhatIfResult {
  const fold = createWhatIf();
  for (const e of events) fold.push(e);
  return fold.result(policy, options);
}
