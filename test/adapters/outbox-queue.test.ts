import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dynalite, documentClient, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { DynamoOutbox } from '../../shared/adapters/dynamo-outbox';
import { createTable } from '../../shared/adapters/dynamo-store';
import { fitted, MAX_JOB_BYTES, OutboxQueue } from '../../shared/adapters/outbox-queue';
import type { Job } from '../../shared/ports/queue';

const TABLE = 'release-bot';
const PRODUCT = 'production/product-service';
const PAYMENT = 'production/payment-service';
const sync = (service: string, run: number): Job => ({ kind: 'sync-thread', service, run });

/** dynalite on a data folder that outlives it, as `npm start` keeps it across restarts. */
async function openOutbox(dataDir: string): Promise<{ server: Dynalite; outbox: DynamoOutbox }> {
  const server = await startDynalite({ dataDir });
  await createTable(dynamoClient(server.endpoint), TABLE);
  return { server, outbox: new DynamoOutbox({ client: documentClient(server.endpoint), tableName: TABLE }) };
}

/** A runner that never finishes: the process "crashes" while the job is in flight. */
const neverFinishes = () => new Promise<void>(() => {});

describe('Class: OutboxQueue', () => {
  let dataDir: string;
  let server: Dynalite | undefined;
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'release-bot-outbox-'));
    logs.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Stops dynalite without draining the queue, like a crash or Ctrl-C, and starts it again on the same folder. */
  async function crashAndRestart(): Promise<DynamoOutbox> {
    await server?.close();
    const reopened = await openOutbox(dataDir);
    server = reopened.server;
    return reopened.outbox;
  }

  it('has the job in the store by the time send returns', async () => {
    const opened = await openOutbox(dataDir);
    server = opened.server;
    const queue = new OutboxQueue(opened.outbox, neverFinishes, { log });

    await queue.send(sync(PRODUCT, 1));

    expect(await opened.outbox.list()).toMatchObject([{ group: PRODUCT, job: sync(PRODUCT, 1), dead: false }]);
  });

  it('runs a job sent before a crash after a restart on the same data folder, then removes it', async () => {
    const opened = await openOutbox(dataDir);
    server = opened.server;
    await new OutboxQueue(opened.outbox, neverFinishes, { log }).send(sync(PRODUCT, 1));

    const outbox = await crashAndRestart();
    const ran: Job[] = [];
    const queue = new OutboxQueue(outbox, async (job) => void ran.push(job), { log });
    const left = await queue.resume();
    await queue.drain();

    expect(left).toEqual({ pending: 1, dead: 0 });
    expect(ran).toEqual([sync(PRODUCT, 1)]);
    expect(await outbox.list()).toEqual([]);
  });

  it('keeps the order of each service across a restart, and runs new jobs after the ones left', async () => {
    const opened = await openOutbox(dataDir);
    server = opened.server;
    const before = new OutboxQueue(opened.outbox, neverFinishes, { log });
    for (const job of [sync(PRODUCT, 1), sync(PAYMENT, 1), sync(PRODUCT, 2), sync(PRODUCT, 3), sync(PAYMENT, 2)])
      await before.send(job);

    const outbox = await crashAndRestart();
    const ran: Job[] = [];
    const after = new OutboxQueue(
      outbox,
      async (job) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        ran.push(job);
      },
      { log },
    );
    await after.resume();
    await after.send(sync(PRODUCT, 4));
    await after.drain();

    const runsOf = (service: string) => ran.filter((j) => 'service' in j && j.service === service).map((j) => j);
    expect(runsOf(PRODUCT)).toEqual([sync(PRODUCT, 1), sync(PRODUCT, 2), sync(PRODUCT, 3), sync(PRODUCT, 4)]);
    expect(runsOf(PAYMENT)).toEqual([sync(PAYMENT, 1), sync(PAYMENT, 2)]);
  });

  it('retries a failing job a bounded number of times, keeps it as a dead letter, and goes on with the group', async () => {
    const opened = await openOutbox(dataDir);
    server = opened.server;
    const attempts: Job[] = [];
    const queue = new OutboxQueue(
      opened.outbox,
      async (job) => {
        attempts.push(job);
        if (job.kind === 'sync-thread' && job.run === 1) throw new Error('Slack is down');
      },
      { log, maxAttempts: 3, backoffMs: () => 1 },
    );

    await queue.send(sync(PRODUCT, 1));
    await queue.send(sync(PRODUCT, 2));
    await queue.drain();

    expect(attempts).toEqual([sync(PRODUCT, 1), sync(PRODUCT, 1), sync(PRODUCT, 1), sync(PRODUCT, 2)]);
    expect(await queue.deadLetters()).toMatchObject([
      { job: sync(PRODUCT, 1), dead: true, failures: 3, lastError: 'Slack is down' },
    ]);
    expect(logs.some((l) => l.includes('kept as a dead letter'))).toBe(true);
  });

  it('runs a dead letter again on the next start, and removes it once it succeeds', async () => {
    const opened = await openOutbox(dataDir);
    server = opened.server;
    const failing = new OutboxQueue(
      opened.outbox,
      async () => {
        throw new Error('Slack is down');
      },
      { log, maxAttempts: 2, backoffMs: () => 1 },
    );
    await failing.send(sync(PRODUCT, 1));
    await failing.drain();

    const outbox = await crashAndRestart();
    const ran: Job[] = [];
    const queue = new OutboxQueue(outbox, async (job) => void ran.push(job), { log });
    const left = await queue.resume();
    await queue.drain();

    expect(left).toEqual({ pending: 0, dead: 1 });
    expect(ran).toEqual([sync(PRODUCT, 1)]);
    expect(await outbox.list()).toEqual([]);
  });

  it('runs a job again on the next start when the process stopped between running it and removing it', async () => {
    // At least once, like SQS: the worker's jobs are idempotent (test/integration/trust-local checks that no
    // message is posted twice).
    const opened = await openOutbox(dataDir);
    server = opened.server;
    await opened.outbox.add({ group: PRODUCT, id: '000000000000001-000000001', job: sync(PRODUCT, 1) });

    const outbox = await crashAndRestart();
    const ran: Job[] = [];
    const queue = new OutboxQueue(outbox, async (job) => void ran.push(job), { log });
    await queue.resume();
    await queue.drain();

    expect(ran).toEqual([sync(PRODUCT, 1)]);
    expect(await outbox.list()).toEqual([]);
  });

  it('gives new jobs ids after the ones a previous start left, even when the clock went back', async () => {
    const opened = await openOutbox(dataDir);
    server = opened.server;
    const future = '005000000000000-000000001'; // the year 2128
    await opened.outbox.add({ group: PRODUCT, id: future, job: sync(PRODUCT, 1) });
    const queue = new OutboxQueue(opened.outbox, neverFinishes, { log });

    await queue.resume();
    await queue.send(sync(PRODUCT, 2));

    const ids = (await opened.outbox.list()).map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(future);
    expect(String(ids[1]) > future).toBe(true);
  });
});

describe('Function: fitted', () => {
  it('cuts the text of a job too big to keep, and says so', () => {
    const job: Job = { kind: 'tell-user', channel: 'C0RELEASES1', user: 'U0APPROVER1', text: '🚀'.repeat(100_000) };

    const fit = fitted(job);

    expect(Buffer.byteLength(JSON.stringify(fit))).toBeLessThanOrEqual(MAX_JOB_BYTES);
    expect(fit.kind === 'tell-user' && fit.text).toMatch(/more characters cut\)$/);
  });

  it('keeps a small job as it is', () => {
    const job: Job = { kind: 'sync-thread', service: PRODUCT, run: 1 };

    expect(fitted(job)).toBe(job);
  });
});
