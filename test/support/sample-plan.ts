// `eas-sync plan` over the sample exports (examples/exports/), judged at a fixed instant.
export const SAMPLE_PLAN: readonly string[] = [
  'plan',
  '--exchange',
  'get-mobiledevice.json',
  '--mailboxes',
  'get-casmailbox.json',
  '--intune',
  'managed-devices.json',
  '--policy',
  'policy.json',
  '--groups',
  'groups.json',
  '--at',
  '2026-11-26T08:00:00Z',
];
