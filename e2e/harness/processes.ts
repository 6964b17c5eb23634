import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (the OS picks one; a tiny race with other processes is accepted). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();

/**
 * Starts a long-running program with stdout and stderr in `<logDir>/<name>.log`.
 *
 * Children must not outlive the test process, even when Jest kills a worker with SIGKILL (no exit handler runs
 * then): each child gets a watchdog shell that kills it once this Node process is gone.
 */
export function startChild(name: string, command: string, args: string[], logDir: string): Child {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid !== undefined) {
    const watchdog = spawn(
      'sh',
      [
        '-c',
        `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 1; done; ` +
          `kill -TERM ${child.pid} 2>/dev/null; sleep 3; kill -KILL ${child.pid} 2>/dev/null; true`,
      ],
      { stdio: 'ignore', detached: true },
    );
    watchdog.unref();
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const handle: Child = {
    name,
    process: child,
    logFile,
    tail: (lines = 30) => tailOf(logFile, lines),
    stop: async (graceMs = 5000) => {
      running.delete(handle);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every child still running, in reverse start order. */
export async function stopAll(): Promise<void> {
  for (const child of [...running].reverse()) await child.stop();
}

// Last resort for a normal exit without afterAll (a crash inside a hook): synchronous kills only.
process.once('exit', () => {
  for (const child of running) child.process.kill('SIGKILL');
});

export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs` with `describe()`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 250, describe = () => '' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}\n${describe()}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  describe?: () => string;
}

/** Fails fast when a child has died while we wait on it. */
export function assertAlive(child: Child): void {
  if (child.process.exitCode !== null || child.process.signalCode !== null) {
    throw new Error(
      `${child.name} exited (${child.process.exitCode ?? child.process.signalCode}); log ${child.logFile}:\n${child.tail()}`,
    );
  }
}
