// explain(events, deviceId, { at }): why a device has (had, at that moment) its
// access level — the decision, its reason, the facts and policy revision it was
// made from, the command that enforced it and its outcome, and the device's
// timeline. Pure: it reads only the events it is given. It needs the device's
// mailbox stream(s) and the organization's PolicyChanged events; any other event
// is skipped cheaply, so a caller may pass the whole log or just those events.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../src/ports.js';
import type { AccessLevel } from '../src/facts.js';
import type { SetCasMailbox } from '../src/commands.js';
import { decodeEvent, type DecisionFacts, type DomainEvent, type EventData, type Reason } from '../src/events.js';
import { formatIssues } from '../src/codec.js';
import type { PolicyDocument } from '../src/policy.js';
import { decisionOf, deviceKey, evolveMailbox, hasDeviceKey, initialMailboxState, type DecisionState, type MailboxState } from '../src/mailbox.js';
import { organizationOfStream } from './device-access.js';

export interface ExplainOptions {
  /** The moment to explain (ISO-8601); default: the log's last event. */
  readonly at?: string;
}

export type ExplainError =
  | { readonly kind: 'unknownDevice'; readonly deviceId: string; readonly message: string; readonly closest: readonly string[] }
  | { readonly kind: 'notYetKnown'; readonly deviceId: string; readonly message: string; readonly firstSeen: string }
  | { readonly kind: 'invalidTime'; readonly message: string }
  | { readonly kind: 'invalidEvent'; readonly message: string; readonly position: number };

export interface TimelineEntry {
  readonly at: string;
  readonly type: string;
  readonly position: number;
  readonly summary: string;
}

export interface EnforcingCommand {
  readonly commandId: string;
  readonly syncId: string;
  readonly intendedAt: string;
  readonly command: SetCasMailbox;
  /** What the command does to this device's entries. */
  readonly effect: { readonly allowed: 'add' | 'remove' | null; readonly blocked: 'add' | 'remove' | null };
  /** As of the explained moment: `pending` is an intent without an outcome yet. */
  readonly outcome: 'succeeded' | 'failed' | 'pending';
  readonly completedAt?: string;
  readonly error?: { readonly kind: string; readonly message: string };
  readonly reconciled?: boolean;
}

export interface Explanation {
  readonly deviceId: string;
  readonly organization: string;
  readonly mailbox: string;
  readonly stream: string;
  /** The moment explained. */
  readonly at: string;
  /** Whether the partnership existed at that moment (false: removed before it). */
  readonly present: boolean;
  readonly removedAt: string | null;
  readonly access: AccessLevel | null;
  readonly reason: Reason | null;
  readonly governed: boolean | null;
  /** The rule of docs/domain.md that decided (0: ActiveSync disabled on the mailbox). */
  readonly rule: number | null;
  readonly decidedAt: string | null;
  readonly syncId: string | null;
  readonly policyRevision: number | null;
  /** The facts the decision was made from, as recorded with it. */
  readonly facts: DecisionFacts | null;
  readonly device: {
    readonly deviceType: string; readonly deviceModel: string; readonly deviceOS?: string;
    readonly deviceUserAgent?: string; readonly friendlyName?: string; readonly firstSyncTime?: string; readonly identity: string;
  };
  readonly user: {
    readonly primarySmtpAddress?: string; readonly userPrincipalName?: string; readonly displayName?: string;
    readonly addresses: readonly string[]; readonly activeSyncEnabled?: boolean;
  };
  /** The device's entries in its mailbox's lists, as the engine knew them at that moment. */
  readonly lists: { readonly allowed: boolean; readonly blocked: boolean };
  /** The last Set-CasMailbox that changed this device's entries, and its outcome. */
  readonly command: EnforcingCommand | null;
  /** The policy document of the decision's revision. */
  readonly policy: PolicyDocument | null;
  /** The policy in force at that moment (it may be newer than the decision's, until the next sync). */
  readonly policyInForce: { readonly revision: number; readonly changedAt: string; readonly policy: PolicyDocument } | null;
  /** The decision in sentences. */
  readonly explanation: readonly string[];
  /** What a reader should know: a newer policy not applied yet, an expired grace period, a pending command… */
  readonly notes: readonly string[];
  readonly timeline: readonly TimelineEntry[];
  /** The same DeviceId in other mailboxes (a device can sync several mailboxes). */
  readonly otherPartnerships: ReadonlyArray<{ readonly mailbox: string; readonly stream: string; readonly present: boolean; readonly access: AccessLevel | null; readonly reason: Reason | null }>;
}

const RULE: Record<Reason, number | null> = {
  activeSyncDisabled: 0, policyDisabled: 1, excludedGroup: 2, notTargeted: 3, compliant: 5, notCompliant: 6,
  exchangeDeviceRule: 7, notEnrolled: 8, exchangeGlobalRule: null, exchangeIndividualRule: null,
};

const DEVICE_TYPES = new Set(['PartnershipDiscovered', 'PartnershipUpdated', 'PartnershipRemoved', 'AccessDecided']);

const idOf = (data: unknown): string | undefined => {
  if (data === null || typeof data !== 'object') return undefined;
  const id = (data as { deviceId?: unknown }).deviceId;
  return typeof id === 'string' ? id : undefined;
};

/** Every distinct DeviceId the events name (partnerships and decisions). */
export function knownDeviceIds(events: readonly StoredEvent[]): string[] {
  const seen = new Map<string, string>();
  for (const e of events) {
    if (!DEVICE_TYPES.has(e.type)) continue;
    const id = idOf(e.data);
    if (id !== undefined && !seen.has(deviceKey(id))) seen.set(deviceKey(id), id);
  }
  return [...seen.values()];
}

/** Levenshtein distance, giving up (returning max + 1) once it must exceed `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let best = cur[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < best) best = cur[j]!;
    }
    if (best > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The known ids closest to `wanted`: ids it is a case-insensitive prefix of (or
 * that are a prefix of it) first, then by edit distance; at most `limit`.
 */
export function closestIds(wanted: string, known: Iterable<string>, limit = 5): string[] {
  const w = wanted.toLowerCase();
  const scored: Array<{ id: string; score: number }> = [];
  let worst = Math.max(3, Math.ceil(w.length / 2));
  for (const id of known) {
    const k = id.toLowerCase();
    if (w.length > 0 && (k.startsWith(w) || w.startsWith(k))) { scored.push({ id, score: -1 / (1 + Math.abs(k.length - w.length)) }); continue; }
    const d = distance(w, k, worst);
    if (d > worst) continue;
    scored.push({ id, score: d });
    if (scored.length > limit * 4) {
      scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
      scored.length = limit;
      worst = Math.min(worst, Math.max(0, Math.floor(scored[limit - 1]!.score)));
    }
  }
  scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, limit).map((s) => s.id);
}

interface Decoded { readonly raw: StoredEvent; readonly e: DomainEvent; readonly ms: number }

interface StreamView {
  readonly stream: string;
  state: MailboxState;
  /** The device's first event in this stream, whatever the moment. */
  firstSeen: string;
  removedAt: string | null;
  decidedPosition: number;
  readonly commands: Map<string, { intended: Decoded; data: EventData<'CommandIntended'>; outcome?: Decoded }>;
  lastCommand: string | null;
  readonly timeline: TimelineEntry[];
}

const hasId = hasDeviceKey;

function effectOn(c: SetCasMailbox, k: string): EnforcingCommand['effect'] | undefined {
  const one = (ch: { add: readonly string[]; remove: readonly string[] }) => hasId(ch.add, k) ? 'add' as const : hasId(ch.remove, k) ? 'remove' as const : null;
  const effect = { allowed: one(c.allowedDeviceIds), blocked: one(c.blockedDeviceIds) };
  return effect.allowed === null && effect.blocked === null ? undefined : effect;
}

const effectText = (ef: EnforcingCommand['effect']) => [
  ef.allowed === 'add' ? 'added to the allowed list' : ef.allowed === 'remove' ? 'removed from the allowed list' : '',
  ef.blocked === 'add' ? 'added to the blocked list' : ef.blocked === 'remove' ? 'removed from the blocked list' : '',
].filter(Boolean).join(', ');

function exchangeText(f: DecisionFacts): string {
  const ex = f.exchange;
  if (!ex) return '';
  const why = ex.reason === 'individual' ? 'the mailbox\'s own allowed/blocked lists'
    : ex.reason === 'deviceRule' ? `device access rule ${ex.rule ?? ''}`.trim()
      : ex.reason === 'global' ? 'the organization\'s default access level'
        : ex.reason === 'activeSyncDisabled' ? 'ActiveSync disabled on the mailbox' : ex.reason;
  return ` Exchange's own evaluation gives ${ex.access} (${why}).`;
}

function sentences(d: { access: AccessLevel; reason: Reason; facts: DecisionFacts; policyRevision: number }, mailbox: string, policy: PolicyDocument | null): string[] {
  const f = d.facts;
  const out: string[] = [];
  const groups = f.groups.included.length ? `the user is in included group(s) ${f.groups.included.join(', ')} and in no excluded group` : '';
  const intune = f.intune;
  const conflicts = f.conflicts.length
    ? ` Managed device(s) ${f.conflicts.map((c) => `${c.id} (${c.user || 'unknown user'})`).join(', ')} carry this EAS device id but belong to another user: they do not count.`
    : '';
  switch (d.reason) {
    case 'activeSyncDisabled':
      out.push(`ActiveSync is disabled on mailbox ${mailbox}: Exchange blocks every device of it, and the engine does not govern it.`);
      break;
    case 'policyDisabled':
      out.push(`The policy (revision ${d.policyRevision}) is disabled: the engine governs no device.${exchangeText(f)}`);
      break;
    case 'excludedGroup':
      out.push(`The user is in excluded group(s) ${f.groups.excluded.join(', ')}: not governed (exclusion wins over inclusion).${exchangeText(f)}`);
      break;
    case 'notTargeted': {
      const inc = policy?.includedGroups ?? [];
      out.push(inc.length === 0
        ? `The policy includes no group, so it targets nobody: not governed.${exchangeText(f)}`
        : `The user is in none of the policy's included groups (${inc.join(', ')}): not governed.${exchangeText(f)}`);
      break;
    }
    case 'compliant':
    case 'notCompliant': {
      if (groups) out.push(`Governed: ${groups}.`);
      if (intune) {
        const who = intune.userPrincipalName ?? intune.emailAddress ?? 'unknown user';
        out.push(`Managed device ${intune.id} (${intune.managementAgent}, ${who}) maps to this partnership: same EAS device id and same user.${conflicts}`);
        const st = intune.complianceState;
        if (d.reason === 'compliant') {
          out.push(st === 'inGracePeriod'
            ? `Its compliance state is inGracePeriod with the grace deadline ${intune.graceDeadline ?? '(none)'} not passed when decided → allow (rule 5).`
            : `Its compliance state is ${st} → allow (rule 5).`);
        } else {
          out.push(f.graceExpired
            ? `Its compliance state is inGracePeriod but the grace deadline ${intune.graceDeadline ?? '(none)'} had passed when decided → block (rule 6).`
            : `Its compliance state is ${st} → block (rule 6).`);
        }
      }
      break;
    }
    case 'exchangeDeviceRule': {
      if (groups) out.push(`Governed: ${groups}.`);
      const x = f.exception;
      out.push(`No managed device maps to this partnership.${conflicts}`);
      if (x) out.push(`The platform exception ${x.type} "${x.name}" matches → ${x.access} (rule 7).`);
      if (f.overriddenBy) out.push(`Quarantine cannot be expressed for it: the Block rule ${f.overriddenBy} also matches, so Exchange blocks it.`);
      break;
    }
    case 'notEnrolled': {
      if (groups) out.push(`Governed: ${groups}.`);
      out.push(`No managed device maps to this partnership (not enrolled in Intune, or enrolled by another user).${conflicts}`);
      out.push(`No platform exception matches; the policy's default access level is ${policy?.defaultAccessLevel ?? 'quarantine'} → ${d.access} (rule 8).`);
      break;
    }
    default:
      out.push(`${d.access} (${d.reason}).${exchangeText(f)}`);
  }
  return out;
}

/**
 * Explains one device. `deviceId` is matched case-insensitively. Fails with
 * the closest known ids when no partnership has that id.
 */
export function explain(events: readonly StoredEvent[], deviceId: string, options: ExplainOptions = {}): Either<ExplainError, Explanation> {
  const k = deviceKey(deviceId);
  let atMs = Infinity;
  if (options.at !== undefined) {
    atMs = Date.parse(options.at);
    if (Number.isNaN(atMs)) return left({ kind: 'invalidTime', message: `not an ISO-8601 date-time: "${options.at}"` });
  }

  // Which mailbox streams hold a partnership with this id (cheap: no decoding).
  const streams = new Set<string>();
  for (const e of events) {
    if (DEVICE_TYPES.has(e.type) && e.stream.startsWith('eas-mailbox-')) {
      const id = idOf(e.data);
      if (id !== undefined && deviceKey(id) === k) streams.add(e.stream);
    }
  }
  if (streams.size === 0) {
    const closest = closestIds(deviceId, knownDeviceIds(events));
    return left({
      kind: 'unknownDevice', deviceId, closest,
      message: `no device partnership with id "${deviceId}" in the log${closest.length ? ` (closest: ${closest.join(', ')})` : ''}`,
    });
  }

  // Decode the device's streams and every policy change.
  const policies = new Map<string, Array<{ revision: number; policy: PolicyDocument; at: string; ms: number; position: number }>>();
  const byStream = new Map<string, Decoded[]>();
  let lastAt: string | undefined;
  for (const raw of events) {
    lastAt = raw.at;
    const policyEvent = raw.type === 'PolicyChanged' && raw.stream.startsWith('eas-org-');
    if (!policyEvent && !streams.has(raw.stream)) continue;
    const d = decodeEvent(raw.type, raw.data);
    if (isLeft(d)) {
      return left({ kind: 'invalidEvent', position: raw.position, message: `event at position ${raw.position} (${raw.stream} #${raw.revision}, ${raw.type}): ${formatIssues(d.left)}` });
    }
    const dec: Decoded = { raw, e: d.right, ms: Date.parse(raw.at) };
    if (d.right.type === 'PolicyChanged') {
      const org = raw.stream.slice('eas-org-'.length);
      const l = policies.get(org) ?? [];
      l.push({ revision: d.right.data.revision, policy: d.right.data.policy, at: raw.at, ms: dec.ms, position: raw.position });
      policies.set(org, l);
    } else {
      const l = byStream.get(raw.stream);
      if (l) l.push(dec); else byStream.set(raw.stream, [dec]);
    }
  }
  const at = options.at !== undefined ? new Date(atMs).toISOString() : lastAt ?? new Date(0).toISOString();
  if (options.at === undefined) atMs = Infinity;

  const orgOf = (stream: string): string => {
    let best: string | undefined;
    for (const org of policies.keys()) if (stream.startsWith(`eas-mailbox-${org}-`) && (!best || org.length > best.length)) best = org;
    return best ?? organizationOfStream(stream);
  };

  const views: StreamView[] = [];
  let firstSeenAny: string | undefined;
  for (const [stream, list] of byStream) {
    const v: StreamView = {
      stream, state: initialMailboxState, firstSeen: '', removedAt: null, decidedPosition: -1,
      commands: new Map(), lastCommand: null, timeline: [],
    };
    let firstPosition = -1;
    for (const d of list) {
      const { raw, e } = d;
      const mine = idOf(e.data) !== undefined && deviceKey(idOf(e.data)!) === k;
      if (mine && DEVICE_TYPES.has(e.type) && v.firstSeen === '') {
        v.firstSeen = raw.at;
        if (firstSeenAny === undefined || raw.at < firstSeenAny) firstSeenAny = raw.at;
      }
      if (!(d.ms <= atMs)) continue;
      if (mine && firstPosition < 0) firstPosition = raw.position;
      v.state = evolveMailbox(v.state, { ...e, at: raw.at } as unknown as DomainEvent);
      const push = (summary: string) => v.timeline.push({ at: raw.at, type: e.type, position: raw.position, summary });
      switch (e.type) {
        case 'MailboxDiscovered':
        case 'MailboxUpdated': {
          const inLists = e.type === 'MailboxDiscovered'
            ? [hasId(e.data.allowedDeviceIds, k) ? 'in its allowed list' : '', hasId(e.data.blockedDeviceIds, k) ? 'in its blocked list' : ''].filter(Boolean)
            : [];
          if (e.type === 'MailboxDiscovered' || firstPosition >= 0) {
            push(`mailbox ${e.data.identity}: ActiveSync ${e.data.activeSyncEnabled ? 'enabled' : 'disabled'}${inLists.length ? `; the device is ${inLists.join(' and ')}` : ''}`);
          }
          break;
        }
        case 'PartnershipDiscovered':
        case 'PartnershipUpdated':
          if (mine) {
            v.removedAt = null;
            push(`${e.data.deviceType} ${e.data.deviceModel}${e.data.deviceOS ? ` (${e.data.deviceOS})` : ''}`);
          }
          break;
        case 'PartnershipRemoved':
          if (mine) { v.removedAt = raw.at; push('partnership removed from Exchange'); }
          break;
        case 'AccessDecided':
          if (mine) {
            v.decidedPosition = raw.position;
            push(`${e.data.access} — ${e.data.reason}${e.data.governed ? '' : ' (not governed)'}; policy revision ${e.data.policyRevision}, ${e.data.syncId}`);
          }
          break;
        case 'ListsDriftDetected': {
          const was = (l: { allowedDeviceIds: readonly string[]; blockedDeviceIds: readonly string[] }) =>
            `${hasId(l.allowedDeviceIds, k) ? 'allowed' : ''}${hasId(l.blockedDeviceIds, k) ? 'blocked' : ''}` || 'in neither list';
          const a = was(e.data.expected);
          const b = was(e.data.actual);
          if (a !== b) push(`drift found by ${e.data.syncId}: the engine expected ${a}, Exchange had ${b}`);
          break;
        }
        case 'CommandIntended': {
          if (e.data.command.kind !== 'setCasMailbox') break;
          const ef = effectOn(e.data.command, k);
          if (!ef) break;
          v.commands.set(e.data.commandId, { intended: d, data: e.data });
          v.lastCommand = e.data.commandId;
          push(`Set-CasMailbox intended (${e.data.commandId}): ${effectText(ef)}`);
          break;
        }
        case 'CommandSucceeded':
        case 'CommandFailed': {
          const c = v.commands.get(e.data.commandId);
          if (!c) break;
          c.outcome = d;
          push(e.type === 'CommandSucceeded'
            ? `${e.data.commandId} succeeded${e.data.reconciled ? ' (reconciled after a crash)' : ''}`
            : `${e.data.commandId} failed: ${e.data.error.message}${e.data.reconciled ? ' (reconciled after a crash)' : ''}`);
          break;
        }
        case 'DeviceGrandfathered':
          if (mine) push(`kept allowed (grandfathered by ${e.data.syncId}) before the organization's default access level became stricter`);
          break;
        case 'NotificationSent':
          if (mine) push(`user notified at ${e.data.to} (${e.data.reason})`);
          break;
        case 'NotificationFailed':
          if (mine) push(`notification to ${e.data.to} failed: ${e.data.error.message}`);
          break;
        default:
      }
    }
    // The policy in force when the device was first seen, and every change since.
    if (firstPosition >= 0) {
      const changes = (policies.get(orgOf(stream)) ?? []).filter((p) => p.ms <= atMs);
      let from = 0;
      changes.forEach((p, i) => { if (p.position < firstPosition) from = i; });
      for (const p of changes.slice(from)) v.timeline.push({ at: p.at, type: 'PolicyChanged', position: p.position, summary: `policy revision ${p.revision}` });
      v.timeline.sort((a, b) => a.position - b.position);
    }
    views.push(v);
  }

  const seenAtMoment = views.filter((v) => v.firstSeen !== '' && Date.parse(v.firstSeen) <= atMs);
  if (seenAtMoment.length === 0) {
    return left({
      kind: 'notYetKnown', deviceId, firstSeen: firstSeenAny ?? '',
      message: `device ${deviceId} was first seen at ${firstSeenAny ?? '?'}, after ${at}`,
    });
  }
  const deviceIn = (v: StreamView) => v.state.devices[k];
  const decisionIn = (v: StreamView) => deviceIn(v)?.decision;
  // The partnership explained: present at that moment first, then the latest decision.
  const rank = (v: StreamView) => (deviceIn(v) ? 2 : 0) + (decisionIn(v) ? 1 : 0);
  seenAtMoment.sort((a, b) => rank(b) - rank(a) || b.decidedPosition - a.decidedPosition);
  const v = seenAtMoment[0]!;
  const org = orgOf(v.stream);
  const orgPolicies = (policies.get(org) ?? []).filter((p) => p.ms <= atMs);
  const device = deviceIn(v);
  const decision = decisionIn(v);
  // A removed partnership: explain its last state (the fold dropped it; rebuild from the timeline).
  const lastDecision = decision ?? lastDecisionOf(byStream.get(v.stream)!, k, atMs);
  const partnership = device ?? lastPartnershipOf(byStream.get(v.stream)!, k, atMs);
  const info = v.state.info;
  const policyOf = (rev: number | undefined) => rev === undefined ? undefined : orgPolicies.find((p) => p.revision === rev);
  const inForce = orgPolicies[orgPolicies.length - 1];
  const decidedUnder = policyOf(lastDecision?.policyRevision);

  let command: EnforcingCommand | null = null;
  if (v.lastCommand !== null) {
    const c = v.commands.get(v.lastCommand)!;
    const o = c.outcome?.e;
    command = {
      commandId: c.data.commandId, syncId: c.data.syncId, intendedAt: c.intended.raw.at,
      command: c.data.command as SetCasMailbox, effect: effectOn(c.data.command as SetCasMailbox, k)!,
      outcome: o === undefined ? 'pending' : o.type === 'CommandSucceeded' ? 'succeeded' : 'failed',
      ...(c.outcome ? { completedAt: c.outcome.raw.at } : {}),
      ...(o?.type === 'CommandFailed' ? { error: o.data.error } : {}),
      ...(o && (o.type === 'CommandFailed' || o.type === 'CommandSucceeded') && o.data.reconciled ? { reconciled: true } : {}),
    };
  }

  const lists = { allowed: hasId(v.state.lists.allowedDeviceIds, k), blocked: hasId(v.state.lists.blockedDeviceIds, k) };
  const explanation: string[] = [];
  const notes: string[] = [];
  const mailboxName = info?.identity ?? v.stream;
  if (lastDecision) {
    explanation.push(...sentences(lastDecision, mailboxName, decidedUnder?.policy ?? null));
    if (lastDecision.governed) {
      if (lastDecision.access === 'quarantine') {
        explanation.push('Enforced by keeping the device out of both lists: Exchange\'s default access level, which the engine keeps at Quarantine, or a Quarantine device access rule, applies.');
      } else if (command) {
        explanation.push(`Enforced by ${command.commandId} (${effectText(command.effect)}): ${command.outcome}${command.completedAt ? ` at ${command.completedAt}` : ''}.`);
      }
      const want = { allowed: lastDecision.access === 'allow', blocked: lastDecision.access === 'block' };
      const needsList = lastDecision.access !== 'quarantine' || lists.allowed || lists.blocked;
      if (device && needsList && (want.allowed !== lists.allowed || want.blocked !== lists.blocked)) {
        notes.push(`The mailbox's lists as the engine knew them (${lists.allowed ? 'allowed' : lists.blocked ? 'blocked' : 'in neither list'}) do not carry this decision yet${command?.outcome === 'failed' ? ': the command that should enforce it failed' : command?.outcome === 'pending' ? ': its command has no outcome yet' : ''}; Exchange may still apply the previous access.`);
      }
    }
    if (device?.grandfathered && !lastDecision.governed) {
      explanation.push('It was grandfathered: before the organization\'s default access level became stricter, the engine put it in the mailbox\'s allowed list so that this not-governed user keeps access.');
    }
  } else {
    explanation.push('The partnership was discovered but no access decision was recorded for it yet.');
  }
  if (command?.outcome === 'pending') notes.push(`Command ${command.commandId} was intended but has no outcome: the sync was interrupted; the next full sync reconciles it by reading the mailbox back.`);
  if (command?.outcome === 'failed') notes.push(`Command ${command.commandId} failed (${command.error?.message ?? 'unknown error'}); the next sync retries.`);
  if (v.removedAt !== null) notes.push(`The partnership was removed from Exchange at ${v.removedAt}; this was its last decision.`);
  if (lastDecision && inForce && inForce.revision !== lastDecision.policyRevision) {
    notes.push(`Policy revision ${inForce.revision} (changed at ${inForce.at}) is in force, but the device was decided under revision ${lastDecision.policyRevision}: the next sync decides it again.`);
  }
  const grace = lastDecision?.facts.intune;
  if (lastDecision?.access === 'allow' && grace?.complianceState === 'inGracePeriod' && grace.graceDeadline !== undefined) {
    const deadline = Date.parse(grace.graceDeadline);
    const moment = atMs === Infinity ? Date.parse(at) : atMs;
    if (deadline <= moment) notes.push(`The grace deadline ${grace.graceDeadline} has passed since this decision: the next sync blocks the device unless it became compliant.`);
  }

  const others = views.filter((o) => o !== v && o.firstSeen !== '' && Date.parse(o.firstSeen) <= atMs).map((o) => {
    const od = decisionIn(o) ?? lastDecisionOf(byStream.get(o.stream)!, k, atMs);
    return { mailbox: o.state.info?.identity ?? o.stream, stream: o.stream, present: deviceIn(o) !== undefined, access: od?.access ?? null, reason: od?.reason ?? null };
  });

  return right({
    deviceId: partnership?.deviceId ?? deviceId,
    organization: org,
    mailbox: mailboxName,
    stream: v.stream,
    at,
    present: device !== undefined,
    removedAt: device ? null : v.removedAt,
    access: lastDecision?.access ?? null,
    reason: lastDecision?.reason ?? null,
    governed: lastDecision?.governed ?? null,
    rule: lastDecision ? RULE[lastDecision.reason] : null,
    decidedAt: lastDecision?.at ?? null,
    syncId: lastDecision?.syncId ?? null,
    policyRevision: lastDecision?.policyRevision ?? null,
    facts: lastDecision?.facts ?? null,
    device: {
      identity: partnership?.identity ?? '', deviceType: partnership?.deviceType ?? '', deviceModel: partnership?.deviceModel ?? '',
      ...(partnership?.deviceOS !== undefined ? { deviceOS: partnership.deviceOS } : {}),
      ...(partnership?.deviceUserAgent !== undefined ? { deviceUserAgent: partnership.deviceUserAgent } : {}),
      ...(partnership?.friendlyName !== undefined ? { friendlyName: partnership.friendlyName } : {}),
      ...(partnership?.firstSyncTime !== undefined ? { firstSyncTime: partnership.firstSyncTime } : {}),
    },
    user: {
      addresses: info?.addresses ?? [],
      ...(info ? { primarySmtpAddress: info.primarySmtpAddress, activeSyncEnabled: info.activeSyncEnabled } : {}),
      ...(info?.userPrincipalName !== undefined ? { userPrincipalName: info.userPrincipalName } : {}),
      ...(info?.displayName !== undefined ? { displayName: info.displayName } : {}),
    },
    lists,
    command,
    policy: decidedUnder?.policy ?? null,
    policyInForce: inForce ? { revision: inForce.revision, changedAt: inForce.at, policy: inForce.policy } : null,
    explanation,
    notes,
    timeline: v.timeline,
    otherPartnerships: others,
  });
}

type LastDecision = DecisionState;

function lastDecisionOf(list: readonly Decoded[], k: string, atMs: number): LastDecision | undefined {
  let last: LastDecision | undefined;
  for (const { raw, e, ms } of list) {
    if (!(ms <= atMs)) continue;
    if (e.type === 'AccessDecided' && deviceKey(e.data.deviceId) === k) last = decisionOf(e.data, raw.at);
  }
  return last;
}

function lastPartnershipOf(list: readonly Decoded[], k: string, atMs: number): EventData<'PartnershipDiscovered'> | undefined {
  let last: EventData<'PartnershipDiscovered'> | undefined;
  for (const { e, ms } of list) {
    if (!(ms <= atMs)) continue;
    if ((e.type === 'PartnershipDiscovered' || e.type === 'PartnershipUpdated') && deviceKey(e.data.deviceId) === k) last = e.data;
  }
  return last;
}
