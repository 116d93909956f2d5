// The fast path of a full sync with nothing changed: whether reconciling a
// mailbox could record anything, answered from its inputs without deciding
// each device again. Conservative: "unchanged" only when every input a
// decision reads is equal to what the recorded decision was made from and no
// decision depends on the moment (a grace period that ended since, an override); then
// reconcileMailbox would record no event and intend no command (a property
// test checks exactly that), and the recorded decisions stand.
import { RULE_OF_REASON, type Decision, type DeviceContext } from '../access.js';
import type { DeviceState, MailboxState } from './evolve.js';
import { samePartnership, type ReconcileMailbox } from './reconcile.js';
import { deviceKey, hasDevice, sameDeviceSet } from './rules.js';
import { userAddresses } from '../identity.js';
import { keyedGet } from './keyed.js';

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A partnership's group and mapping facts (a reconcile command's context). */
type Context = Omit<DeviceContext, 'device' | 'activeSyncEnabled'>;

/** What the question reads of a reconcile command (the planner asks it before building one). */
export type UnchangedQuestion = Pick<
  ReconcileMailbox,
  'mailbox' | 'partnerships' | 'complete' | 'grandfather' | 'removals' | 'policyRevision' | 'atMs'
>;

/**
 * Whether `c` would leave the mailbox as it is: no event, no command, every
 * decision as recorded. `addresses`: the mailbox's `userAddresses`, when the
 * caller has them already.
 */
export function unchangedMailbox(state: MailboxState, c: ReconcileMailbox, addresses?: readonly string[]): boolean {
  return (
    unchangedKeys(
      state,
      c,
      c.partnerships.map((p) => c.contexts.get(deviceKey(p.deviceId))),
      addresses,
    ) !== undefined
  );
}

// Up to this many partnerships, a repeated one is found by comparing keys (no Set per mailbox).
const FEW = 16;

/**
 * The same question with each partnership's context by position (`contexts[i]`
 * is `c.partnerships[i]`'s, as `unchangedMailbox` reads them from a command):
 * the planner asks it without building a command or a map for a mailbox with
 * nothing to do. Unchanged: the keys of the mailbox's devices, in the state's
 * order (what `recordedDecisions` walks); otherwise undefined. `keys`: each
 * partnership's `deviceKey`, by position, when the caller has them.
 */
export function unchangedKeys(
  state: MailboxState,
  c: UnchangedQuestion,
  contexts: ReadonlyArray<Context | undefined>,
  addresses?: readonly string[],
  keys?: readonly string[],
): readonly string[] | undefined {
  const m = c.mailbox;
  const info = state.info;
  if (!m || !info || !c.complete || c.grandfather || c.removals) return undefined;
  for (const _ in state.pending) return undefined;
  // The mailbox as Get-CasMailbox reports it (what sameInfo compares) and its lists.
  if (
    info.identity !== m.identity ||
    info.primarySmtpAddress !== m.primarySmtpAddress ||
    info.activeSyncEnabled !== m.activeSyncEnabled ||
    info.displayName !== m.displayName ||
    info.distinguishedName !== m.distinguishedName ||
    info.userPrincipalName !== m.userPrincipalName ||
    info.guid !== m.guid ||
    !sameList(info.addresses, addresses ?? userAddresses(m)) ||
    !sameDeviceSet(state.lists.allowedDeviceIds, m.allowedDeviceIds) ||
    !sameDeviceSet(state.lists.blockedDeviceIds, m.blockedDeviceIds)
  )
    return undefined;
  // The same partnerships, each once (the keys are listed once: dictionary objects have no key cache).
  const known = Object.keys(state.devices);
  if (known.length !== c.partnerships.length) return undefined;
  const n = c.partnerships.length;
  // Exchange lists a mailbox's partnerships in the same order from one sync to the next, and the state
  // keeps them in the order first seen: while each key is the state's key at the same place, the keys
  // are distinct (a record's keys are) and the state's own key finds the device (no lookup of a new string).
  let inOrder = true;
  let listed: string[] | undefined;
  let seen: Set<string> | undefined;
  for (let at = 0; at < n; at++) {
    const p = c.partnerships[at]!;
    let k = keys?.[at] ?? deviceKey(p.deviceId);
    if (inOrder && known[at] === k) k = known[at]!;
    else {
      if (inOrder) {
        // Out of step: the keys so far (distinct) seed the search for a repeat.
        inOrder = false;
        if (n <= FEW) listed = known.slice(0, at);
        else seen = new Set(known.slice(0, at));
      }
      if (listed) {
        if (listed.includes(k)) return undefined;
        listed.push(k);
      } else if (seen) {
        if (seen.has(k)) return undefined;
        seen.add(k);
      }
    }
    const d = keyedGet(state.devices, k);
    if (!d || d.deviceId !== p.deviceId || !samePartnership(d, p)) return undefined;
    // Nothing the moment decides, nothing an administrator asked for.
    if (d.override || d.wipe?.stage === 'requested') return undefined;
    const dec = d.decision;
    if (!dec || dec.policyRevision !== c.policyRevision) return undefined;
    // The lists carry the decision already (a failed command leaves them short: the sync must try again).
    const inAllowed = hasDevice(state.lists.allowedDeviceIds, p.deviceId, k);
    const inBlocked = hasDevice(state.lists.blockedDeviceIds, p.deviceId, k);
    if (dec.governed ? inAllowed !== (dec.access === 'allow') || inBlocked !== (dec.access === 'block') : d.owned !== undefined)
      return undefined;
    const ctx = contexts[at];
    if (!ctx) return undefined;
    const f = dec.facts;
    if (!sameList(f.groups.included, ctx.groups.included) || !sameList(f.groups.excluded, ctx.groups.excluded)) return undefined;
    const mapped = ctx.mapping.mapped;
    const i = f.intune;
    if (mapped === undefined ? i !== null : i === null) return undefined;
    if (mapped && i) {
      // In a grace period, a decision governed by the mapping (rules 5 and 6) allows while it
      // runs and blocks once it has ended: the same deadline gives the same answer now as
      // recorded unless it ended in between. Ungoverned decisions (rules 0–3) never read it.
      if (mapped.complianceState === 'inGracePeriod' && dec.governed) {
        const deadline = mapped.complianceGracePeriodExpirationDateTime;
        const runningNow = deadline !== undefined && Date.parse(deadline) > c.atMs;
        if (runningNow !== (dec.access === 'allow')) return undefined;
      }
      if (
        i.id !== mapped.id ||
        i.complianceState !== mapped.complianceState ||
        i.managementAgent !== mapped.managementAgent ||
        i.userPrincipalName !== mapped.userPrincipalName ||
        i.emailAddress !== mapped.emailAddress ||
        i.graceDeadline !== mapped.complianceGracePeriodExpirationDateTime
      )
        return undefined;
    }
    const conflicts = ctx.mapping.conflicts;
    if (conflicts.length !== f.conflicts.length) return undefined;
    for (let j = 0; j < conflicts.length; j++) {
      const x = conflicts[j]!;
      const y = f.conflicts[j]!;
      if (x.id !== y.id || (x.userPrincipalName ?? x.emailAddress ?? '') !== y.user) return undefined;
    }
  }
  return known;
}

/** The recorded decisions of an unchanged mailbox, as reconcileMailbox would have returned them. */
export function recordedDecisions(state: MailboxState): Array<{ device: DeviceState; decision: Decision }> {
  const out: Array<{ device: DeviceState; decision: Decision }> = [];
  for (const k in state.devices) {
    const device = keyedGet(state.devices, k)!;
    out.push({ device, decision: recordedDecision(device) });
  }
  return out;
}

/** A decided device's recorded decision, as reconcileMailbox returns it. */
export function recordedDecision(device: DeviceState): Decision {
  const d = device.decision!;
  return { access: d.access, reason: d.reason, governed: d.governed, rule: RULE_OF_REASON[d.reason] ?? 8, facts: d.facts };
}
