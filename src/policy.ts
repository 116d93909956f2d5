// The access policy the admin configures (docs/domain.md), validated strictly:
// unknown keys and bad values are errors with their path.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { strict, maxString, intBetween, decodeWith, type Issue } from './codec.js';
import type { AccessLevel } from './facts.js';

export const AccessLevelC = t.keyof({ allow: null, block: null, quarantine: null }, 'allow | block | quarantine');

export const PlatformExceptionC = strict(
  {
    type: t.keyof({ family: null, model: null }, 'family | model'),
    name: t.string,
    access: AccessLevelC,
  },
  {},
  'PlatformException',
);

export const NotificationSettingsC = strict(
  {},
  {
    enabled: t.boolean,
    subject: t.string,
    bodyHtml: t.string,
    enrollUrl: t.string,
    userMailInsert: maxString(256),
    adminRecipients: t.array(t.string),
  },
  'NotificationSettings',
);

export const PolicyDocumentC = strict(
  { enabled: t.boolean },
  {
    includedGroups: t.array(t.string),
    excludedGroups: t.array(t.string),
    defaultAccessLevel: AccessLevelC,
    platformExceptions: t.array(PlatformExceptionC),
    notification: NotificationSettingsC,
    // Stale partnership clean-up (off unless set). At least a week: a phone on holiday is not stale.
    removeStaleAfterDays: intBetween(7, 3650),
    maxRemovalsPerSync: intBetween(0, 1_000_000),
  },
  'Policy',
);

export type PolicyDocument = t.TypeOf<typeof PolicyDocumentC>;

export interface PlatformException {
  readonly type: 'family' | 'model';
  readonly name: string;
  readonly access: AccessLevel;
}

export interface NotificationSettings {
  readonly enabled: boolean;
  readonly subject: string;
  readonly bodyHtml: string;
  readonly enrollUrl: string;
  readonly userMailInsert: string;
  readonly adminRecipients: readonly string[];
}

/** A policy with every default filled in. */
export interface Policy {
  readonly enabled: boolean;
  readonly includedGroups: readonly string[];
  readonly excludedGroups: readonly string[];
  readonly defaultAccessLevel: AccessLevel;
  readonly platformExceptions: readonly PlatformException[];
  readonly notification: NotificationSettings;
  /** Full syncs remove partnerships idle this many days (Remove-MobileDevice); absent: never. */
  readonly removeStaleAfterDays?: number;
  /** At most this many removals per full sync (default 500). */
  readonly maxRemovalsPerSync?: number;
}

export const DEFAULT_NOTIFICATION: NotificationSettings = {
  enabled: true,
  subject: 'Your device cannot sync mail yet',
  bodyHtml:
    '<p>Hello {userDisplayName},</p><p>Your {deviceType} ({deviceModel}) cannot sync mail: {reason}.</p>' +
    '<p>Enroll it in Intune and make it compliant: <a href="{enrollUrl}">{enrollUrl}</a></p>',
  enrollUrl: 'https://portal.manage.microsoft.com/',
  userMailInsert: '',
  adminRecipients: [],
};

export function withDefaults(doc: PolicyDocument): Policy {
  return {
    enabled: doc.enabled,
    includedGroups: doc.includedGroups ?? [],
    excludedGroups: doc.excludedGroups ?? [],
    defaultAccessLevel: doc.defaultAccessLevel ?? 'quarantine',
    platformExceptions: doc.platformExceptions ?? [],
    notification: { ...DEFAULT_NOTIFICATION, ...(doc.notification ?? {}) },
    ...(doc.removeStaleAfterDays !== undefined ? { removeStaleAfterDays: doc.removeStaleAfterDays } : {}),
    ...(doc.maxRemovalsPerSync !== undefined ? { maxRemovalsPerSync: doc.maxRemovalsPerSync } : {}),
  };
}

/** Validates more than the shape: duplicates and blanks that would make rules ambiguous. */
function semanticIssues(p: Policy): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, number>();
  p.platformExceptions.forEach((e, i) => {
    if (e.name.trim() === '') issues.push({ path: `platformExceptions[${i}].name`, message: 'must not be empty' });
    const key = `${e.type}\u0000${e.name.toLowerCase()}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      issues.push({ path: `platformExceptions[${i}]`, message: `duplicates platformExceptions[${prev}] (${e.type} "${e.name}")` });
    } else seen.set(key, i);
  });
  (['includedGroups', 'excludedGroups'] as const).forEach((k) =>
    p[k].forEach((g, i) => {
      if (g.trim() === '') issues.push({ path: `${k}[${i}]`, message: 'must not be empty' });
    }),
  );
  return issues;
}

/** Parses a policy document (already JSON-parsed) into a Policy, or the issues with paths. */
export function parsePolicy(u: unknown): Either<Issue[], Policy> {
  const r = decodeWith(PolicyDocumentC, u);
  if (isLeft(r)) return r;
  const policy = withDefaults(r.right);
  const issues = semanticIssues(policy);
  return issues.length ? left(issues) : right(policy);
}

/** The policy in its file format (for replay output and PolicyChanged events). */
export function policyDocument(p: Policy): PolicyDocument {
  return {
    enabled: p.enabled,
    includedGroups: [...p.includedGroups],
    excludedGroups: [...p.excludedGroups],
    defaultAccessLevel: p.defaultAccessLevel,
    platformExceptions: p.platformExceptions.map((e) => ({ ...e })),
    notification: { ...p.notification, adminRecipients: [...p.notification.adminRecipients] },
    // Only when set: a log written before these options existed keeps the same policy document.
    ...(p.removeStaleAfterDays !== undefined ? { removeStaleAfterDays: p.removeStaleAfterDays } : {}),
    ...(p.maxRemovalsPerSync !== undefined ? { maxRemovalsPerSync: p.maxRemovalsPerSync } : {}),
  };
}

/** Structural equality of two policies (policy changes are events only when it differs). */
export const samePolicy = (a: Policy, b: Policy): boolean => JSON.stringify(policyDocument(a)) === JSON.stringify(policyDocument(b));

/** The parts of a policy that decisions read (docs/domain.md): not the notification, not the clean-up. */
const decisionRules = (p: Policy) => [p.enabled, p.includedGroups, p.excludedGroups, p.defaultAccessLevel, p.platformExceptions];

/** Whether two policies decide every device alike: a change between them is no reason to decide again. */
export const sameDecisionRules = (a: Policy, b: Policy): boolean => JSON.stringify(decisionRules(a)) === JSON.stringify(decisionRules(b));
