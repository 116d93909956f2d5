// What each cmdlet does to the organization's data: the reads' answers and the
// writes' validation and effect, with Exchange's own error texts.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { CasMailbox, DeviceAccessRule, MobileDevice, OrgSettings } from '../../../src/facts.js';
import type { CasMailboxQuery, ExchangeError, MobileDeviceQuery } from '../../../src/ports.js';
import {
  ruleName,
  type ExchangeCommand,
  type ListChange,
  type NewDeviceAccessRule,
  type RemoveDeviceAccessRule,
  type SetCasMailbox,
  type SetDeviceAccessRule,
  type SetOrgSettings,
} from '../../../src/commands.js';
import { copyDevice, copyMailbox, copyOrg, copyRule, lc, type Directory, type MailboxEntry } from './directory.js';
import { refreshSticky, touchMailbox } from './evaluation.js';
import { clearMobileDevice, removeMobileDevice } from './statistics.js';

const LEVELS: ReadonlySet<string> = new Set(['Allow', 'Block', 'Quarantine']);
const CHARACTERISTICS: ReadonlySet<string> = new Set(['DeviceType', 'DeviceModel', 'DeviceOS', 'UserAgent', 'XMSWLHeader']);
const MAX_USER_MAIL_INSERT = 256;

const copyList = (l: ListChange): ListChange => ({ add: [...l.add], remove: [...l.remove] });

/** Commands are kept as data, detached from the caller's objects. */
export function copyCommand(c: ExchangeCommand): ExchangeCommand {
  switch (c.kind) {
    case 'setCasMailbox':
      return { ...c, allowedDeviceIds: copyList(c.allowedDeviceIds), blockedDeviceIds: copyList(c.blockedDeviceIds) };
    case 'setOrgSettings':
      return c.adminMailRecipients ? { ...c, adminMailRecipients: [...c.adminMailRecipients] } : { ...c };
    default:
      return { ...c };
  }
}

// ------------------------------------------------------------ reads
export function getMobileDevices(dir: Directory, query?: MobileDeviceQuery): Either<ExchangeError, MobileDevice[]> {
  let after = -Infinity;
  if (query?.firstSyncAfter !== undefined) {
    after = Date.parse(query.firstSyncAfter);
    if (Number.isNaN(after))
      return left({ kind: 'other', message: `Cannot bind parameter 'Filter': invalid date '${query.firstSyncAfter}'.` });
  }
  const out: MobileDevice[] = [];
  for (const d of dir.devices.values()) if (d.firstSyncMs > after) out.push(copyDevice(d.rec));
  return right(out);
}

export function getCasMailboxes(dir: Directory, query?: CasMailboxQuery): Either<ExchangeError, CasMailbox[]> {
  if (query?.identities) {
    const seen = new Set<MailboxEntry>();
    const out: CasMailbox[] = [];
    for (const id of query.identities) {
      const m = dir.resolve(id);
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push(copyMailbox(m.rec));
      }
    }
    return right(out);
  }
  const out: CasMailbox[] = [];
  for (const m of dir.mailboxList) if (m.devices.size > 0) out.push(copyMailbox(m.rec));
  return right(out);
}

export const getOrgSettings = (dir: Directory): Either<ExchangeError, OrgSettings> => right(copyOrg(dir.org));

export const getDeviceAccessRules = (dir: Directory): Either<ExchangeError, DeviceAccessRule[]> => right(dir.rules.map(copyRule));

// ------------------------------------------------------------ writes
export function apply(dir: Directory, c: ExchangeCommand, now: number): Either<ExchangeError, void> {
  switch (c.kind) {
    case 'clearMobileDevice':
      return clearMobileDevice(dir, c, now);
    case 'removeMobileDevice':
      return removeMobileDevice(dir, c);
    case 'setCasMailbox':
      return setCasMailbox(dir, c);
    case 'setOrgSettings':
      return applyOrgSettings(dir, c);
    case 'newDeviceAccessRule':
      return newRule(dir, c);
    case 'setDeviceAccessRule':
      return setRule(dir, c);
    case 'removeDeviceAccessRule':
      return removeRule(dir, c);
    default: {
      const k = (c as { kind?: unknown }).kind;
      return left({ kind: 'other', message: `The term '${String(k)}' is not recognized as the name of a cmdlet.` });
    }
  }
}

/** Exchange's @{Add=…;Remove=…}: Remove, then Add; case-insensitive; no duplicates. */
function applyListChange(list: readonly string[], change: ListChange): string[] {
  const removed = new Set(change.remove.map(lc));
  const out = list.filter((x) => !removed.has(lc(x)));
  const present = new Set(out.map(lc));
  for (const id of change.add) {
    if (!present.has(lc(id))) {
      out.push(id);
      present.add(lc(id));
    }
  }
  return out;
}

function setCasMailbox(dir: Directory, c: SetCasMailbox): Either<ExchangeError, void> {
  const m = dir.resolve(c.mailbox);
  if (!m) return left(dir.notFound(c.mailbox));
  for (const l of [c.allowedDeviceIds, c.blockedDeviceIds]) {
    for (const id of [...l.add, ...l.remove]) {
      if (typeof id !== 'string' || id.trim() === '') {
        return left({
          kind: 'other',
          message: `Cannot validate argument on parameter 'ActiveSyncAllowedDeviceIDs'. The argument is null or empty.`,
        });
      }
    }
  }
  m.rec.allowedDeviceIds = applyListChange(m.rec.allowedDeviceIds, c.allowedDeviceIds);
  m.rec.blockedDeviceIds = applyListChange(m.rec.blockedDeviceIds, c.blockedDeviceIds);
  touchMailbox(dir, m);
  return right(undefined);
}

/** Set-ActiveSyncOrganizationSettings; an admin's hand edit goes through the same validation. */
export function applyOrgSettings(dir: Directory, c: Omit<SetOrgSettings, 'kind'>): Either<ExchangeError, void> {
  if (c.defaultAccessLevel !== undefined && !LEVELS.has(c.defaultAccessLevel)) {
    return left({ kind: 'other', message: `Cannot bind parameter 'DefaultAccessLevel'. Invalid value '${c.defaultAccessLevel}'.` });
  }
  if (c.userMailInsert !== undefined && c.userMailInsert.length > MAX_USER_MAIL_INSERT) {
    return left({
      kind: 'other',
      message: `The length of the property is too long. The maximum length is ${MAX_USER_MAIL_INSERT} and the length of the value provided is ${c.userMailInsert.length}.`,
    });
  }
  if (c.defaultAccessLevel !== undefined) dir.org.defaultAccessLevel = c.defaultAccessLevel;
  if (c.userMailInsert !== undefined) dir.org.userMailInsert = c.userMailInsert;
  if (c.adminMailRecipients !== undefined) dir.org.adminMailRecipients = [...c.adminMailRecipients];
  return right(undefined);
}

function newRule(dir: Directory, c: NewDeviceAccessRule): Either<ExchangeError, void> {
  if (!CHARACTERISTICS.has(c.characteristic))
    return left({ kind: 'other', message: `Cannot bind parameter 'Characteristic'. Invalid value '${c.characteristic}'.` });
  if (!LEVELS.has(c.accessLevel))
    return left({ kind: 'other', message: `Cannot bind parameter 'AccessLevel'. Invalid value '${c.accessLevel}'.` });
  if (c.queryString.trim() === '')
    return left({ kind: 'other', message: `Cannot validate argument on parameter 'QueryString'. The argument is null or empty.` });
  const name = ruleName(c.characteristic, c.queryString);
  if (dir.findRule(name) >= 0) return left({ kind: 'other', message: `The ActiveSyncDeviceAccessRule "${name}" already exists.` });
  dir.rules.push({ name, characteristic: c.characteristic, queryString: c.queryString, accessLevel: c.accessLevel });
  refreshSticky(dir);
  return right(undefined);
}

function setRule(dir: Directory, c: SetDeviceAccessRule): Either<ExchangeError, void> {
  if (!LEVELS.has(c.accessLevel))
    return left({ kind: 'other', message: `Cannot bind parameter 'AccessLevel'. Invalid value '${c.accessLevel}'.` });
  const i = dir.findRule(c.name);
  if (i < 0) return left(dir.notFound(c.name));
  dir.rules[i] = { ...dir.rules[i]!, accessLevel: c.accessLevel };
  refreshSticky(dir);
  return right(undefined);
}

function removeRule(dir: Directory, c: RemoveDeviceAccessRule): Either<ExchangeError, void> {
  const i = dir.findRule(c.name);
  if (i < 0) return left(dir.notFound(c.name));
  dir.rules.splice(i, 1);
  refreshSticky(dir);
  return right(undefined);
}
