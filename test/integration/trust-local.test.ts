import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { checkDataFolder } from '../../local/data-folder';
import { logProblem } from '../../local/leveldb-log';
import { repairDataFolder } from '../../local/repair';
import { type LocalBot, startLocal } from '../../local/runtime';
import { LocalStartError } from '../../local/start-errors';
import { documentClient } from '../../shared/adapters/dynalite';
import { DynamoOutbox } from '../../shared/adapters/dynamo-outbox';
import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, FLAGGER_TOKEN, payload, SIGNING_SECRET, TEST_CONFIG } from '../../testkit/bot';
import { FakeSlack } from '../../testkit/fake-slack';

const ROOT = join(__dirname, '..', '..');
const SERVICE = 'production/product-service';

/** A fresh folder with the test config; `data` is what RELEASE_BOT_DATA_DIR points at. */
function prepare(): {
  root: string;
  data: string;
  leveldb: string;
  env: (extra?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
} {
  const root = mkdtempSync(join(tmpdir(), 'release-bot-local-'));
  writeFileSync(join(root, 'config.yaml'), TEST_CONFIG);
  const data = join(root, 'data');
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    PORT: '0',
    RELEASE_BOT_CONFIG: join(root, 'config.yaml'),
    RELEASE_BOT_DATA_DIR: data,
    FLAGGER_WEBHOOK_TOKEN: FLAGGER_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    ...extra,
  });
  return { root, data, leveldb: join(data, 'dynamodb'), env };
}

async function flagger(bot: LocalBot, hook: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${bot.url}/flagger/${hook}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/**
 * Every file under a folder with a hash of its bytes: "nothing was changed or deleted" as an assertion. LevelDB's
 * own diagnostic log (LOG, rotated to LOG.old at each open attempt) is not data and is left out.
 */
function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'LOG' || name === 'LOG.old') continue;
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(folder, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(folder);
  return files;
}

/** The error startLocal stopped with (it must stop). */
async function startError(env: NodeJS.ProcessEnv): Promise<LocalStartError> {
  const bot = await startLocal(env).catch((error: unknown) => error);
  if (!(bot instanceof LocalStartError)) {
    if (bot && typeof bot === 'object' && 'close' in bot) await (bot as LocalBot).close();
    throw new Error(`expected a LocalStartError, got ${String(bot)}`);
  }
  return bot;
}

/** `npm start` in its own process, as a person runs it. */
function npmStart(env: NodeJS.ProcessEnv): {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  listening: Promise<string>;
  exited: Promise<number | null>;
} {
  // node with tsx's loader rather than the tsx wrapper, so a kill reaches the bot's own process.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    void exited.then((code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
  });
  listening.catch(() => {});
  return { child, output: () => ({ stdout, stderr }), listening, exited };
}

/** A Slack Web API that accepts requests and never answers: the bot's Slack work is in flight. */
async function hangingSlack(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {
    requests++;
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const until = async (condition: () => boolean, ms = 15000) => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('Local runtime: durable Slack work (the outbox)', () => {
  let slack: FakeSlack;
  let bot: LocalBot | undefined;
  let dir: ReturnType<typeof prepare>;

  beforeEach(async () => {
    dir = prepare();
    slack = new FakeSlack();
  });
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
    await slack.stop();
    rmSync(dir.root, { recursive: true, force: true });
  });

  it('posts the approval request of a Flagger call whose Slack work was in flight when npm start was killed', async () => {
    // Arrange: npm start against a Slack that never answers
    const hanging = await hangingSlack();
    const first = npmStart(dir.env({ SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_API_URL: hanging.url }));
    const url = await first.listening;

    // Act: Flagger asks, the job reaches Slack, and the process is killed before Slack answers
    const asked = await fetch(`${url}/flagger/confirm-promotion`, {
      method: 'POST',
      body: JSON.stringify(payload('Progressing', 'rev-1')),
    });
    await until(() => hanging.requests() > 0);
    first.child.kill('SIGKILL');
    await first.exited;
    await hanging.close();
    const apiUrl = await slack.start();
    bot = await startLocal(dir.env({ SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_API_URL: apiUrl }));
    await bot.queue.drain();

    // Assess: the restarted bot resumed the job and posted the status message and the request with buttons
    expect(asked.status).toBe(403);
    expect(bot.notes.some((n) => n.startsWith('Resumed'))).toBe(true);
    const posts = slack.called('chat.postMessage');
    expect(posts).toHaveLength(2);
    expect(JSON.parse(buttonValue(slack, ACTIONS.approve))).toMatchObject({ s: SERVICE, g: 'confirm-promotion' });
  });

  it('posts nothing twice when jobs that already ran are found in the outbox again after a restart', async () => {
    const apiUrl = await slack.start();
    const env = dir.env({ SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_API_URL: apiUrl });
    bot = await startLocal(env);
    await flagger(bot, 'confirm-promotion', payload('Progressing', 'rev-1'));
    await bot.queue.drain();
    const posted = slack.called('chat.postMessage').length;
    // As if the process had stopped after running these jobs and before removing them
    const outboxOf = (running: LocalBot) =>
      new DynamoOutbox({ client: documentClient(running.dynamoEndpoint), tableName: 'release-bot' });
    const outbox = outboxOf(bot);
    await outbox.add({
      group: SERVICE,
      id: '000000000000001-000000001',
      job: { kind: 'sync-thread', service: SERVICE, run: 1 },
    });
    await outbox.add({
      group: SERVICE,
      id: '000000000000001-000000002',
      job: { kind: 'request-approval', service: SERVICE, run: 1, gate: 'confirm-promotion', attempt: 1 },
    });

    await bot.close();
    bot = await startLocal(env);
    await bot.queue.drain();

    expect(posted).toBe(2);
    expect(slack.called('chat.postMessage')).toHaveLength(2);
    expect(await outboxOf(bot).list()).toEqual([]);
  });
});

describe('Local runtime: a data folder in use or damaged', () => {
  let dir: ReturnType<typeof prepare>;
  let bot: LocalBot | undefined;

  beforeEach(() => {
    dir = prepare();
  });
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
    rmSync(dir.root, { recursive: true, force: true });
  });

  /** A folder holding one release; `tables` also makes LevelDB move the writes from its log into a table file. */
  async function withData(options: { tables?: boolean } = {}): Promise<void> {
    const first = await startLocal(dir.env());
    await flagger(first, 'confirm-promotion', payload('Progressing', 'rev-1'));
    await first.close();
    if (options.tables) await (await startLocal(dir.env())).close();
  }

  const filesEnding = (suffix: string) => readdirSync(dir.leveldb).filter((f) => f.endsWith(suffix));

  it('refuses a second start on a folder in use, naming it, and leaves the first bot working', async () => {
    bot = await startLocal(dir.env());

    const error = await startError(dir.env());
    const still = await flagger(bot, 'confirm-promotion', payload('Progressing', 'rev-1'));

    expect(error.code).toBe('DATA_FOLDER_IN_USE');
    expect(error.message).toBe(
      `Another release-bot is using ${dir.leveldb} (LevelDB lock held). Stop it or set RELEASE_BOT_DATA_DIR to another folder.`,
    );
    expect(still.status).toBe(403);
  });

  it('stops a second npm start on the same folder with that sentence, a non-zero exit and no stack trace', async () => {
    bot = await startLocal(dir.env());

    const second = npmStart(dir.env());
    const code = await second.exited;

    const { stdout, stderr } = second.output();
    expect(code).not.toBe(0);
    expect(stderr.trim()).toBe(
      `Another release-bot is using ${dir.leveldb} (LevelDB lock held). Stop it or set RELEASE_BOT_DATA_DIR to another folder.`,
    );
    expect(stdout).not.toContain('listening');
  });

  it('stops a second npm start on the same port (another data folder) with a sentence, a non-zero exit and no stack trace', async () => {
    bot = await startLocal(dir.env());
    const port = new URL(bot.url).port;
    const other = prepare();

    try {
      const second = npmStart(other.env({ PORT: port }));
      const code = await second.exited;

      const { stdout, stderr } = second.output();
      expect(code).not.toBe(0);
      expect(stderr.trim()).toBe(
        `Port ${port} on 127.0.0.1 is already in use, probably by another release-bot: stop it, or set PORT to another port.`,
      );
      expect(stdout).not.toContain('listening');
      expect((await flagger(bot, 'confirm-promotion', payload('Progressing', 'rev-1'))).status).toBe(403);
    } finally {
      rmSync(other.root, { recursive: true, force: true });
    }
  });

  it('stops on a missing CURRENT file without starting empty, changing or deleting anything', async () => {
    await withData();
    rmSync(join(dir.leveldb, 'CURRENT'));
    const before = snapshot(dir.leveldb);

    const error = await startError(dir.env());

    expect(error.code).toBe('DATA_FOLDER_DAMAGED');
    expect(error.message).toContain(`The release-bot data in ${dir.leveldb} is damaged: its CURRENT file is missing`);
    expect(error.message).toContain('deleted or repaired nothing');
    expect(error.message).toContain(`npx tsx local/repair.ts "${dir.leveldb}"`);
    expect(snapshot(dir.leveldb)).toEqual(before);
  });

  it('stops on a truncated write-ahead log instead of letting LevelDB drop its records', async () => {
    await withData();
    const [log] = filesEnding('.log');
    truncateSync(join(dir.leveldb, String(log)), Math.floor(statSync(join(dir.leveldb, String(log))).size / 2));
    const before = snapshot(dir.leveldb);

    const error = await startError(dir.env());

    expect(error.code).toBe('DATA_FOLDER_DAMAGED');
    expect(error.message).toContain(`its write-ahead log ${log} is damaged`);
    expect(snapshot(dir.leveldb)).toEqual(before);
  });

  it('stops on a deleted write-ahead log', async () => {
    await withData();
    for (const log of filesEnding('.log')) rmSync(join(dir.leveldb, log));
    const before = snapshot(dir.leveldb);

    const error = await startError(dir.env());

    expect(error.message).toContain('its write-ahead log (the NNNNNN.log file) is missing');
    expect(snapshot(dir.leveldb)).toEqual(before);
  });

  it('stops on a deleted table file, changing nothing', async () => {
    await withData({ tables: true });
    const [table] = filesEnding('.ldb');
    rmSync(join(dir.leveldb, String(table)));
    const before = snapshot(dir.leveldb);

    const error = await startError(dir.env());

    expect(error.code).toBe('DATA_FOLDER_DAMAGED');
    expect(error.message).toContain(
      `LevelDB cannot open it: Corruption: 1 missing files; e.g.: ${join(dir.leveldb, String(table))}`,
    );
    expect(snapshot(dir.leveldb)).toEqual(before);
  });

  it('stops on a truncated table file before listening, keeping every table file as it was', async () => {
    await withData({ tables: true });
    const tables = filesEnding('.ldb');
    truncateSync(join(dir.leveldb, String(tables[0])), 200);
    const before = snapshot(dir.leveldb);

    const error = await startError(dir.env());

    expect(error.code).toBe('DATA_FOLDER_DAMAGED');
    expect(error.message).toContain(`reading entry 1 failed`);
    const after = snapshot(dir.leveldb);
    for (const table of tables) expect(after[table]).toBe(before[table]);
  });

  it('stops when the folder holds data but not the table, instead of creating a fresh one', async () => {
    mkdirSync(dir.data, { recursive: true });
    const db = new ClassicLevel(dir.leveldb);
    await db.put('!item-another-table!key', '{}');
    await db.close();

    const error = await startError(dir.env());

    expect(error.code).toBe('DATA_FOLDER_DAMAGED');
    expect(error.message).toContain('it holds data, but not the table release-bot');
  });

  it('repairs a damaged folder after backing it up whole, and the bot then starts with the data kept', async () => {
    await withData();
    rmSync(join(dir.leveldb, 'CURRENT'));
    const damaged = snapshot(dir.leveldb);

    const { backup } = await repairDataFolder(dir.leveldb, new Date('2026-01-02T03:04:05Z'));
    bot = await startLocal(dir.env());

    expect(backup).toBe(`${dir.leveldb}.backup-2026-01-02T03-04-05-000Z`);
    expect(snapshot(backup)).toEqual(damaged);
    expect(await bot.deps.store.getService(SERVICE)).toEqual({ service: SERVICE, runCount: 1 });
  });

  it('starts on a folder it stopped cleanly, with the release kept', async () => {
    await withData({ tables: true });

    bot = await startLocal(dir.env());

    expect(await checkDataFolder(join(dir.root, 'nothing-here'))).toEqual({ hasData: false, entries: 0 });
    expect(await bot.deps.store.getService(SERVICE)).toEqual({ service: SERVICE, runCount: 1 });
  });
});

describe('Function: logProblem', () => {
  let folder: string;
  let log: string;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'release-bot-log-'));
    const db = new ClassicLevel(join(folder, 'db'));
    // Values bigger than a 32 KiB block: records span blocks (FIRST, MIDDLE, LAST).
    for (let i = 0; i < 5; i++) await db.put(`key-${i}`, 'x'.repeat(50_000 + i));
    await db.put('small', 'y');
    // Copied while open, so the log still holds the writes.
    const name = readdirSync(join(folder, 'db')).find((f) => f.endsWith('.log'));
    log = join(folder, 'copy.log');
    cpSync(join(folder, 'db', String(name)), log);
    await db.close();
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('passes a log LevelDB wrote, records spanning blocks included', () => {
    expect(statSync(log).size).toBeGreaterThan(250_000);
    expect(logProblem(log)).toBeUndefined();
  });

  it('finds a changed byte', () => {
    const bytes = readFileSync(log);
    bytes[40_000] = (bytes[40_000] ?? 0) ^ 0xff;
    writeFileSync(log, bytes);

    expect(logProblem(log)).toMatch(/checksum does not match/);
  });

  it('finds a log cut in the middle of a record', () => {
    truncateSync(log, statSync(log).size - 3);

    expect(logProblem(log)).toMatch(/ends in the middle of a record/);
  });

  it('passes zero padding after the last record (preallocated space)', () => {
    writeFileSync(log, Buffer.concat([readFileSync(log), Buffer.alloc(100)]));

    expect(logProblem(log)).toBeUndefined();
  });
});

describe('Local runtime: local-secrets.json', () => {
  let dir: ReturnType<typeof prepare>;
  let bot: LocalBot | undefined;
  const file = () => join(dir.data, 'local-secrets.json');
  /** No secrets in the environment: they come from the data folder. */
  const noEnvSecrets = () => dir.env({ FLAGGER_WEBHOOK_TOKEN: undefined, SLACK_SIGNING_SECRET: undefined });

  beforeEach(() => {
    dir = prepare();
    mkdirSync(dir.data, { recursive: true });
  });
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
    rmSync(dir.root, { recursive: true, force: true });
  });

  it('makes secrets on the first start, says so, and reads the same ones on the next start', async () => {
    bot = await startLocal(noEnvSecrets());
    const made = { flaggerToken: bot.flaggerToken, signingSecret: bot.signingSecret };
    const notes = bot.notes;
    await bot.close();

    bot = await startLocal(noEnvSecrets());

    expect(notes.some((n) => n.includes(`Made a new webhook token and Slack signing secret in ${file()}`))).toBe(true);
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual(made);
    expect({ flaggerToken: bot.flaggerToken, signingSecret: bot.signingSecret }).toEqual(made);
    expect(bot.notes).toEqual([]);
  });

  it.each([
    ['not JSON', '{"flaggerToken": "abc', 'it is not JSON'],
    ['missing signingSecret', '{"flaggerToken": "token-from-before"}', 'signingSecret is missing or empty'],
    ['an empty flaggerToken', '{"flaggerToken": " ", "signingSecret": "s3cret"}', 'flaggerToken is missing or empty'],
    ['not an object', '[]', 'flaggerToken and signingSecret are missing or empty'],
  ])('stops on a file that is %s, naming it, and leaves it as it is', async (_case, text, why) => {
    writeFileSync(file(), text);

    const error = await startError(noEnvSecrets());

    expect(error.code).toBe('SECRETS_INVALID');
    expect(error.message).toContain(`${file()} is not usable: ${why}`);
    expect(error.message).toContain('FLAGGER_WEBHOOK_TOKEN and SLACK_SIGNING_SECRET');
    expect(readFileSync(file(), 'utf8')).toBe(text);
  });

  it('stops on a file it cannot read, naming it and why', async () => {
    mkdirSync(file());

    const error = await startError(noEnvSecrets());

    expect(error.code).toBe('SECRETS_UNREADABLE');
    expect(error.message).toContain(`${file()} cannot be read (EISDIR)`);
  });

  it('takes both secrets from the environment, without reading or writing the file', async () => {
    writeFileSync(file(), 'not json');

    bot = await startLocal(dir.env());

    expect({ flaggerToken: bot.flaggerToken, signingSecret: bot.signingSecret }).toEqual({
      flaggerToken: FLAGGER_TOKEN,
      signingSecret: SIGNING_SECRET,
    });
    expect(readFileSync(file(), 'utf8')).toBe('not json');
  });

  it('lets one variable from the environment win over the file, and takes the other from it', async () => {
    writeFileSync(file(), JSON.stringify({ flaggerToken: 'token-in-file', signingSecret: 'secret-in-file' }));

    bot = await startLocal(dir.env({ SLACK_SIGNING_SECRET: undefined }));

    expect({ flaggerToken: bot.flaggerToken, signingSecret: bot.signingSecret }).toEqual({
      flaggerToken: FLAGGER_TOKEN,
      signingSecret: 'secret-in-file',
    });
  });
});
