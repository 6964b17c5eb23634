import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReleaseStore } from '../ports/store';
import { DynamoAuditLog } from './dynamo-audit-log';
import { DynamoReleaseState } from './dynamo-release-state';
import { DynamoRunbookStore } from './dynamo-runbook-store';
import { DynamoSnapshotStore } from './dynamo-snapshot-store';
import { DynamoTable } from './dynamo-table';
import { DynamoThreadStore } from './dynamo-thread-store';

/**
 * Every store port in one DynamoDB table, one partition per service: what a composition root hands out, each part
 * to whoever needs it. The ports' adapters live in `dynamo-<port>.ts`; this only puts them side by side.
 */
export class DynamoStore implements ReleaseStore {
  readonly state: DynamoReleaseState;
  readonly audit: DynamoAuditLog;
  readonly threads: DynamoThreadStore;
  readonly snapshots: DynamoSnapshotStore;
  readonly runbooks: DynamoRunbookStore;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    const table = new DynamoTable(options.client, options.tableName);
    this.state = new DynamoReleaseState(table);
    this.audit = new DynamoAuditLog(table);
    this.threads = new DynamoThreadStore(table);
    this.snapshots = new DynamoSnapshotStore(table);
    this.runbooks = new DynamoRunbookStore(table);
  }

  getService: ReleaseStore['getService'] = (...args) => this.state.getService(...args);
  readHookState: ReleaseStore['readHookState'] = (...args) => this.state.readHookState(...args);
  startRun: ReleaseStore['startRun'] = (...args) => this.state.startRun(...args);
  getRun: ReleaseStore['getRun'] = (...args) => this.state.getRun(...args);
  saveRun: ReleaseStore['saveRun'] = (...args) => this.state.saveRun(...args);
  listRuns: ReleaseStore['listRuns'] = (...args) => this.state.listRuns(...args);
  setPaused: ReleaseStore['setPaused'] = (...args) => this.state.setPaused(...args);
  getGate: ReleaseStore['getGate'] = (...args) => this.state.getGate(...args);
  listGates: ReleaseStore['listGates'] = (...args) => this.state.listGates(...args);
  openGate: ReleaseStore['openGate'] = (...args) => this.state.openGate(...args);
  addApproval: ReleaseStore['addApproval'] = (...args) => this.state.addApproval(...args);
  decideGate: ReleaseStore['decideGate'] = (...args) => this.state.decideGate(...args);
  rearmGate: ReleaseStore['rearmGate'] = (...args) => this.state.rearmGate(...args);
  markRequestPosted: ReleaseStore['markRequestPosted'] = (...args) => this.state.markRequestPosted(...args);
  reopenGate: ReleaseStore['reopenGate'] = (...args) => this.state.reopenGate(...args);
  markEscalated: ReleaseStore['markEscalated'] = (...args) => this.state.markEscalated(...args);
  markEscalationPosted: ReleaseStore['markEscalationPosted'] = (...args) => this.state.markEscalationPosted(...args);

  appendAudit: ReleaseStore['appendAudit'] = (...args) => this.audit.appendAudit(...args);
  listAudit: ReleaseStore['listAudit'] = (...args) => this.audit.listAudit(...args);

  getThread: ReleaseStore['getThread'] = (...args) => this.threads.getThread(...args);
  saveThread: ReleaseStore['saveThread'] = (...args) => this.threads.saveThread(...args);

  getSnapshot: ReleaseStore['getSnapshot'] = (...args) => this.snapshots.getSnapshot(...args);
  saveSnapshot: ReleaseStore['saveSnapshot'] = (...args) => this.snapshots.saveSnapshot(...args);

  createExecution: ReleaseStore['createExecution'] = (...args) => this.runbooks.createExecution(...args);
  getExecution: ReleaseStore['getExecution'] = (...args) => this.runbooks.getExecution(...args);
  saveExecution: ReleaseStore['saveExecution'] = (...args) => this.runbooks.saveExecution(...args);
  listExecutions: ReleaseStore['listExecutions'] = (...args) => this.runbooks.listExecutions(...args);
}

/** Creates the store's table unless it exists, and waits until it is usable. For local runs and tests. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, minDelay: 1, maxDelay: 5, maxWaitTime: 120 }, { TableName: tableName });
}
