import { type Dynalite, documentClient, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { createTable, DynamoStore } from '../../shared/adapters/dynamo-store';
import { MemoryStore } from '../../shared/adapters/memory-store';
import type { ReleaseStore } from '../../shared/ports/store';

/** One implementation of the store ports, as each contract suite runs it: the same cases against every one. */
export interface StoreHarness {
  name: string;
  setUp(): Promise<void>;
  /** A store with nothing in it. */
  fresh(): Promise<ReleaseStore>;
  tearDown(): Promise<void>;
}

const memory = (): StoreHarness => ({
  name: 'MemoryStore',
  setUp: async () => {},
  fresh: async () => new MemoryStore(),
  tearDown: async () => {},
});

/** DynamoStore on dynalite over loopback, a new table for each case. */
function dynamo(): StoreHarness {
  let server: Dynalite | undefined;
  let tables = 0;
  return {
    name: 'DynamoStore',
    setUp: async () => {
      server = await startDynalite({});
    },
    fresh: async () => {
      if (!server) throw new Error('dynalite is not started');
      const tableName = `release-bot-${++tables}`;
      await createTable(dynamoClient(server.endpoint), tableName);
      return new DynamoStore({ client: documentClient(server.endpoint), tableName });
    },
    tearDown: async () => server?.close(),
  };
}

export const storeHarnesses = (): StoreHarness[] => [memory(), dynamo()];

/** Starts the harness around the suite and hands each case a fresh store. */
export function freshStoreEach(harness: StoreHarness, take: (store: ReleaseStore) => void): void {
  beforeAll(() => harness.setUp());
  afterAll(() => harness.tearDown());
  beforeEach(async () => {
    take(await harness.fresh());
  });
}

export const SERVICE = 'payments/api';
export const gateRef = { service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 };
export const minute = (n: number) => `2025-03-04T10:${String(n).padStart(2, '0')}:00.000Z`;
/** aGate()'s expiry, and a moment after it. */
export const EXPIRES_AT = '2025-03-04T11:00:00.000Z';
export const AFTER_EXPIRY = '2025-03-04T11:30:00.000Z';
export const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
