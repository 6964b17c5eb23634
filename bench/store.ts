import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { documentClient, dynamoClient, startDynalite } from '../shared/adapters/dynalite';
import { createTable } from '../shared/adapters/dynamo-store';
import { DynamoTable, type Item } from '../shared/adapters/dynamo-table';
import { percentile } from './load/open-loop';

/**
 * The local store, side by side, on what a Flagger tick costs: one read of three items by key (the service record,
 * its run, a gate) and, for a change, one conditional update. Candidates: the DynamoDB adapter against dynalite
 * in the bot's own thread (as before), against dynalite in a worker thread (as `npm start` runs it now), and
 * SQLite through node:sqlite (synchronous, in process, WAL), each on disk in a fresh folder.
 */
const OPS = Number(process.env.OPS ?? 3000);
const CONCURRENCY = 32;
const keys = (i: number) => [
  { pk: `SVC#load/svc-${i % 200}`, sk: 'SERVICE' },
  { pk: `SVC#load/svc-${i % 200}`, sk: 'RUN#000001' },
  { pk: `SVC#load/svc-${i % 200}`, sk: 'RUN#000001#GATE#confirm-promotion' },
];
const item = (key: { pk: string; sk: string }): Item => ({ ...key, version: 1, body: 'x'.repeat(600) });

interface Candidate {
  name: string;
  read(i: number): Promise<unknown>;
  write(i: number): Promise<unknown>;
  close(): Promise<void>;
}

async function dynamo(name: string, start: () => Promise<{ endpoint: string; close(): Promise<void> }>) {
  const server = await start();
  await createTable(dynamoClient(server.endpoint), 'bench');
  const table = new DynamoTable(documentClient(server.endpoint), 'bench');
  for (let i = 0; i < 200; i++) for (const key of keys(i)) await table.put({ Item: item(key) });
  return {
    name,
    read: (i: number) => table.getMany(keys(i)),
    write: (i: number) =>
      table.updateIf({
        Key: keys(i)[1],
        UpdateExpression: 'SET version = version + :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    close: () => server.close(),
  } satisfies Candidate;
}

/** dynalite as the bot ran it before: in the same thread. */
async function sameThreadDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dynalite = require('dynalite') as (options: object) => import('node:http').Server;
  const server = dynalite({ path: mkdtempSync(join(tmpdir(), 'bench-store-')), createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sqlite(): Candidate {
  const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');
  const db = new DatabaseSync(join(mkdtempSync(join(tmpdir(), 'bench-sqlite-')), 'store.db'));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  db.exec('CREATE TABLE items (pk TEXT, sk TEXT, doc TEXT, PRIMARY KEY (pk, sk)) WITHOUT ROWID');
  const put = db.prepare('INSERT OR REPLACE INTO items VALUES (?, ?, ?)');
  for (let i = 0; i < 200; i++) for (const key of keys(i)) put.run(key.pk, key.sk, JSON.stringify(item(key)));
  const get = db.prepare('SELECT doc FROM items WHERE pk = ? AND sk IN (?, ?, ?)');
  const bump = db.prepare(
    "UPDATE items SET doc = json_set(doc, '$.version', json_extract(doc, '$.version') + 1) WHERE pk = ? AND sk = ?",
  );
  return {
    name: 'SQLite (node:sqlite, same thread)',
    read: async (i) => {
      const [a, b, c] = keys(i);
      return get.all(a?.pk ?? '', a?.sk ?? '', b?.sk ?? '', c?.sk ?? '').map((r) => JSON.parse(String(r.doc)));
    },
    write: async (i) => bump.run(keys(i)[1]?.pk ?? '', keys(i)[1]?.sk ?? ''),
    close: async () => db.close(),
  };
}

async function measure(candidate: Candidate, op: 'read' | 'write'): Promise<string> {
  const one: number[] = [];
  for (let i = 0; i < OPS / 3; i++) {
    const started = performance.now();
    await candidate[op](i);
    one.push(performance.now() - started);
  }
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < OPS) await candidate[op](next++);
    }),
  );
  const perSecond = Math.round(OPS / ((performance.now() - started) / 1000));
  return `${percentile(one, 0.5).toFixed(2).padStart(6)} ms ${percentile(one, 0.99).toFixed(2).padStart(6)} ms ${String(perSecond).padStart(8)}/s`;
}

async function main(): Promise<void> {
  console.log(
    `node ${process.version}; ${OPS} operations each; one at a time (p50, p99), then ${CONCURRENCY} at once (rate)`,
  );
  console.log('store                                   read 3 items by key              conditional update');
  const candidates = [
    () => dynamo('dynalite, same thread (before)', sameThreadDynalite),
    () =>
      dynamo('dynalite, worker thread (npm start)', () =>
        startDynalite({ dataDir: mkdtempSync(join(tmpdir(), 'bench-store-')) }),
      ),
    async () => sqlite(),
  ];
  for (const make of candidates) {
    const candidate = await make();
    try {
      console.log(
        `${candidate.name.padEnd(38)} ${await measure(candidate, 'read')}   ${await measure(candidate, 'write')}`,
      );
    } finally {
      await candidate.close();
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
