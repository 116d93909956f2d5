// Renders the quarantine/block notification from the policy's template. Values
// come from the device and the directory, so they are HTML-escaped.
import type { Policy } from './policy.js';
import type { Reason } from './events.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;
// Most values need no escape: a test is cheaper than a replace with a callback.
export const escapeHtml = (s: string): string => (NEEDS_ESCAPE.test(s) ? s.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : s);

const REASON_TEXT: Partial<Record<Reason, string>> = {
  notEnrolled: 'the device is not enrolled in Intune',
  notCompliant: "the device does not meet your organization's compliance policy",
  adminOverride: 'an administrator has blocked it for now',
};

export interface NotificationValues {
  readonly userDisplayName: string;
  readonly deviceType: string;
  readonly deviceModel: string;
  readonly reason: Reason;
}

type Key = keyof NotificationValues | 'enrollUrl';
const PLACEHOLDER = /\{(userDisplayName|deviceType|deviceModel|reason|enrollUrl)\}/g;

/** A template as its literal parts with the placeholders between them: parts[0] key[0] parts[1] … */
interface Compiled {
  readonly parts: readonly string[];
  readonly keys: readonly Key[];
}

// A sync renders one template for thousands of devices: each is split once. Templates are
// a policy's few texts; the cache is emptied if it ever holds many (policies changed often).
const compiled = new Map<string, Compiled>();

function compile(template: string): Compiled {
  let c = compiled.get(template);
  if (c) return c;
  const parts: string[] = [];
  const keys: Key[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    parts.push(template.slice(last, m.index));
    keys.push(m[1] as Key);
    last = m.index + m[0].length;
  }
  parts.push(template.slice(last));
  if (compiled.size >= 64) compiled.clear();
  compiled.set(template, (c = { parts, keys }));
  return c;
}

function fill(template: string, values: Readonly<Record<Key, string>>, escape: (s: string) => string): string {
  const { parts, keys } = compile(template);
  let out = parts[0]!;
  for (let i = 0; i < keys.length; i++) out += escape(values[keys[i]!]) + parts[i + 1]!;
  return out;
}

// A subject is one header line: device-chosen text must not add lines to it.
const oneLine = (s: string): string => (s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]+/g, ' ') : s);

export function renderNotification(policy: Policy, v: NotificationValues): { subject: string; html: string } {
  const values: Record<Key, string> = {
    userDisplayName: v.userDisplayName,
    deviceType: v.deviceType,
    deviceModel: v.deviceModel,
    reason: REASON_TEXT[v.reason] ?? v.reason,
    enrollUrl: policy.notification.enrollUrl,
  };
  return { subject: fill(policy.notification.subject, values, oneLine), html: fill(policy.notification.bodyHtml, values, escapeHtml) };
}
