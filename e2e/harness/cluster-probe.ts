import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The bot's KubernetesCluster adapter in a process of its own. @kubernetes/client-node is ESM-only and Jest's
 * CommonJS runtime cannot load it, so tests run the adapter here, under tsx on the project's Node 22, as the bot
 * runs it. One request per stdin line (`{ id, namespace, service }`), one answer per stdout line, prefixed `@@`.
 *
 * The first argument is the adapter's options as JSON, except that `tokenFile` stands for `token`: the file is read
 * at every request, so a test can rotate the token between calls.
 */
export interface ProbeAnswer {
  id: number;
  result: unknown;
  /** whether client-node had been loaded before this call, and after it */
  loadedBefore: boolean;
  loadedAfter: boolean;
  ms: number;
}

const ROOT = join(__dirname, '..', '..');

/** Test side: starts the probe and sends it requests. */
export class ClusterProbe {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, (answer: ProbeAnswer) => void>();
  private nextId = 0;
  private readonly ready: Promise<{ node: string }>;
  stderr = '';

  constructor(options: Record<string, unknown>) {
    // the tsx CLI from node_modules, on the Node running this test (the project's Node 22, not the machine's)
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    this.child = spawn(process.execPath, [tsx, __filename, JSON.stringify(options)], { cwd: ROOT });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    let started: (info: { node: string }) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      started = resolve;
      this.child.once('exit', (code) => reject(new Error(`cluster probe exited (${code}):\n${this.stderr}`)));
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (!line.startsWith('@@')) return;
      const message = JSON.parse(line.slice(2)) as ProbeAnswer | { ready: true; node: string };
      if ('ready' in message) started({ node: message.node });
      else {
        this.pending.get(message.id)?.(message);
        this.pending.delete(message.id);
      }
    });
  }

  /** The Node version the probe runs on, once it has loaded the adapter. */
  started(): Promise<{ node: string }> {
    return this.ready;
  }

  async trafficSplit(namespace: string, service: string): Promise<ProbeAnswer> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, namespace, service })}\n`);
    });
  }

  /** Any method of the adapter (the RunbookCluster verbs), with JSON arguments. */
  async call(method: string, ...args: unknown[]): Promise<ProbeAnswer> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** Probe side. */
async function main(): Promise<void> {
  const { KubernetesCluster } = await import('../../shared/adapters/kubernetes-cluster');
  const raw = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const { tokenFile, ...rest } = raw;
  const options =
    typeof tokenFile === 'string' ? { ...rest, token: async () => readFileSync(tokenFile, 'utf8').trim() } : rest;
  const cluster = new KubernetesCluster(options as unknown as ConstructorParameters<typeof KubernetesCluster>[0]);
  const loaded = () =>
    Object.keys(require.cache).some((file) => file.includes('@kubernetes/client-node') || file.includes('/undici/'));
  const write = (message: unknown) => process.stdout.write(`@@${JSON.stringify(message)}\n`);
  write({ ready: true, node: process.version });
  for await (const line of createInterface({ input: process.stdin })) {
    const request = JSON.parse(line) as { id: number; namespace: string; service: string } & {
      method?: string;
      args?: unknown[];
    };
    const { id, namespace, service, method, args } = request;
    const loadedBefore = loaded();
    const started = Date.now();
    const verb = method
      ? (cluster as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]
      : undefined;
    const result = verb
      ? await verb.apply(cluster, args ?? []).catch((error: unknown) => ({ thrown: String(error) }))
      : await cluster.trafficSplit(namespace, service);
    write({ id, result, loadedBefore, loadedAfter: loaded(), ms: Date.now() - started });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
