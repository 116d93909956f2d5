// Renders the quarantine/block notification from the policy's template. Values
// come from the device and the directory, so they are HTML-escaped.
import type { Policy } from './policy.js';
import type { Reason } from './events.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

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

export function renderNotification(policy: Policy, v: NotificationValues): { subject: string; html: string } {
  const values: Record<string, string> = {
    userDisplayName: v.userDisplayName,
    deviceType: v.deviceType,
    deviceModel: v.deviceModel,
    reason: REASON_TEXT[v.reason] ?? v.reason,
    enrollUrl: policy.notification.enrollUrl,
  };
  const fill = (template: string, escape: (s: string) => string) =>
    template.replace(/\{(userDisplayName|deviceType|deviceModel|reason|enrollUrl)\}/g, (_, k: string) => escape(values[k]!));
  // A subject is one header line: device-chosen text must not add lines to it.
  const subject = fill(policy.notification.subject, (s) => s.replace(/[\r\n]+/g, ' '));
  return { subject, html: fill(policy.notification.bodyHtml, escapeHtml) };
}
