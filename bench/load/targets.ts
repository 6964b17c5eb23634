import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A server under load, in its own process (the load generator must not share its event loop). */
export interface Target {
  url: string;
  /** What the target says of itself when ready (the bot: its Approve buttons). */
  ready: Record<string, unknown>;
  /** Resident memory of the target's process, in MiB. */
  rssMiB(): Promise<number>;
  /** Asks the target over IPC (the bot answers "rss" and "buttons"). */
  ask(message: string): Promise<unknown>;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

/** Bare Node answering every request 403 with a sentence, as fast as Node's HTTP server goes: the baseline. */
export const BARE_SERVER = `
  require('node:http').createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = 'waiting for approval; the gate stays closed';
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }).listen(0, '127.0.0.1', function () {
    console.log(JSON.stringify({ ready: 'http://127.0.0.1:' + this.address().port }));
  });
  process.on('message', (m) => { if (m === 'rss') process.send(process.memoryUsage().rss); });`;

export const startBare = () => startTarget(process.execPath, ['-e', BARE_SERVER]);

/** The local bot as `npm start` runs it, with `services` canaries each waiting at a manual promotion gate. */
export const startBot = (services: number, env: Record<string, string> = {}) =>
  startTarget(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(__dirname, 'bot-target.ts')], {
    SERVICES: String(services),
    ...env,
  });

async function startTarget(command: string, args: string[], env: Record<string, string> = {}): Promise<Target> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // Its log lines are read and dropped (a full pipe would stall it); the line {"ready": url} says it listens.
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<Record<string, unknown> & { ready: string }>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('{"ready":')) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`the target exited with ${code} before it listened`)));
  });
  // One question at a time: answers carry no id, so two in flight could be taken for each other's.
  let asking: Promise<unknown> = Promise.resolve();
  const ask = (message: string) => {
    const answer = asking.then(async () => {
      const reply = once(child, 'message');
      child.send(message);
      return (await reply)[0];
    });
    asking = answer.catch(() => undefined);
    return answer;
  };
  return {
    url: ready.ready,
    ready,
    ask,
    rssMiB: async () => Math.round(Number(await ask('rss')) / 1024 / 1024),
    stop: () => stop(child),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
