import type { AuditLog } from './audit-log';
import type { ReleaseState } from './release-state';
import type { RunbookStore } from './runbook-store';
import type { SnapshotStore } from './snapshot-store';
import type { ThreadStore } from './thread-store';

// The types of each port, for callers that take everything from here (the adapters, which implement all of them).
export type { AuditLog, AuditSlice } from './audit-log';
export type { GateDecision, GateRef, ReleaseState, ServiceRecord } from './release-state';
export type { RunbookStore } from './runbook-store';
export type { SnapshotStore } from './snapshot-store';
export type { ThreadRecord, ThreadStore } from './thread-store';

/**
 * Every store port at once, as one table (DynamoDB) or one object (memory) implements them. Code that needs only a
 * part asks for that part: the core decides with `ReleaseState & AuditLog & SnapshotStore` and never reads threads.
 */
export type ReleaseStore = ReleaseState & AuditLog & ThreadStore & SnapshotStore & RunbookStore;
