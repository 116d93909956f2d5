// The shapes of the API's answers as the pages read them (see the README's API table).
export type Access = 'allow' | 'block' | 'quarantine';
export type Counts = Record<Access, number>;

export interface Overview {
  mode: 'run' | 'read-only';
  log: string;
  events: number;
  invalidLines: number;
  devices: number;
  access: Counts;
  reasons: Record<Access, Record<string, number>>;
  connector: {
    organization: string | null;
    status: string;
    fenced: boolean;
    lastSuccessfulSync: { full?: string; quick?: string };
    cas: string | null;
    servers: string[];
    pendingIntents: number;
    lastError: { message: string; at: string } | null;
    syncing: string | null;
  };
  drift: number;
  driftBySync: Array<{ syncId: string; at: string; drift: number }>;
  policyRevision: number | null;
  chart: Array<{ at: string; kind: string } & Counts>;
  foldedAt: string;
}

export interface DeviceRow {
  deviceId: string;
  deviceType: string;
  deviceModel: string;
  user: string;
  mailbox: string;
  organization: string;
  access: Access;
  reason: string;
  governed: boolean;
  intuneDeviceId: string;
  complianceState: string;
  decidedAt: string;
}

export interface DevicePage {
  total: number;
  page: number;
  pageSize: number;
  rows: DeviceRow[];
}

export interface Explanation {
  deviceId: string;
  organization: string;
  mailbox: string;
  at: string;
  present: boolean;
  removedAt: string | null;
  access: Access | null;
  reason: string | null;
  governed: boolean | null;
  rule: number | null;
  decidedAt: string | null;
  syncId: string | null;
  policyRevision: number | null;
  facts: {
    groups: { included: string[]; excluded: string[] };
    intune: {
      id: string;
      complianceState: string;
      managementAgent: string;
      userPrincipalName?: string;
      emailAddress?: string;
      graceDeadline?: string;
    } | null;
    conflicts: Array<{ id: string; user: string }>;
    exception?: { type: string; name: string; access: string };
    exchange?: { access: string; reason: string; rule?: string };
    overriddenBy?: string;
    graceExpired?: boolean;
  } | null;
  device: {
    deviceType: string;
    deviceModel: string;
    deviceOS?: string;
    deviceUserAgent?: string;
    friendlyName?: string;
    firstSyncTime?: string;
    identity: string;
  };
  user: { primarySmtpAddress?: string; userPrincipalName?: string; displayName?: string };
  lists: { allowed: boolean; blocked: boolean };
  command: {
    commandId: string;
    syncId: string;
    intendedAt: string;
    outcome: string;
    completedAt?: string;
    error?: { message: string };
  } | null;
  explanation: string[];
  notes: string[];
  timeline: Array<{ at: string; type: string; summary: string }>;
  otherPartnerships: Array<{ mailbox: string; access: string | null; reason: string | null; present: boolean }>;
  override: {
    overrideId: string;
    access: 'allow' | 'block';
    until: string;
    reason: string;
    by: string;
    notify: boolean;
    inForce: boolean;
  } | null;
  wipe: {
    wipeId: string;
    stage: 'requested' | 'sent' | 'acknowledged' | 'failed';
    accountOnly: boolean;
    reason: string;
    by: string;
    requestedAt: string;
    sentAt?: string;
    ackTime?: string;
    error?: { kind: string; message: string };
  } | null;
  powershell: string | null;
}

export interface WhatIf {
  at: string;
  policyRevision: number | null;
  devices: number;
  changes: Array<{
    deviceId: string;
    mailbox: string;
    from: Access;
    to: Access;
    reason: string;
    fromReason: string;
    governed: boolean;
    cause: string;
  }>;
  summary: Record<string, number>;
  unchanged: number;
  reasonChanges: number;
  commands: unknown[];
  orgCommands: unknown[];
  notifications: number;
  undecided: number;
  warnings: Array<{ kind: string; message: string }>;
  script: string;
}

export interface SyncRow {
  syncId: string;
  organization: string;
  kind: string;
  startedAt: string;
  completedAt?: string;
  outcome: string;
  devices?: number;
  commandsIssued: number;
  commandsSucceeded?: number;
  commandsFailed?: number;
  drift: number;
  casSwitches: number;
  durationSeconds: number | null;
  throttleWaits?: number;
  throttleWaitMs?: number;
  error?: string;
}

export interface Job {
  id: string;
  kind: string;
  state: 'queued' | 'finished' | 'failed';
  syncId?: string;
  devices?: number;
  completedAt?: string;
  error?: string;
  errors?: string[];
}
