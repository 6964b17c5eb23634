import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { App, LogLevel } from '@slack/bolt';
import { type Dynalite, documentClient, dynamoClient, startDynalite } from '../shared/adapters/dynalite';
import { DynamoOutbox } from '../shared/adapters/dynamo-outbox';
import { createTable, DynamoStore } from '../shared/adapters/dynamo-store';
import { clustersOf } from '../shared/adapters/kubernetes-cluster';
import { noGroups } from '../shared/adapters/no-groups';
import { OutboxQueue, type OutboxQueueOptions } from '../shared/adapters/outbox-queue';
import { PrometheusMetrics } from '../shared/adapters/prometheus-metrics';
import { SlackChat, SlackDirectory, slackClient } from '../shared/adapters/slack-chat';
import { type BotConfig, loadConfig } from '../shared/config/load';
import { localSettingsSchema, readSettings } from '../shared/config/settings';
import type { DoctorReport } from '../shared/domain/doctor';
import { runbookClusters, runWorkerJob } from '../shared/jobs';
import type { Cluster } from '../shared/ports/cluster';
import { registerListeners } from '../shared/slack/app';
import type { Deps } from '../shared/usecases/deps';
import { runDoctor } from '../shared/usecases/doctor';
import { type ChatConsole, startConsole } from './console';
import type { ConsoleRoutes } from './console/routes';
import { checkDataFolder, openTable } from './data-folder';
import { localSecrets } from './secrets';
import { startServer } from './server';
import { SERVER_URL_FILE } from './server-url';

const TABLE = 'release-bot';
const LOCAL_OWNER = 'local';

export interface LocalBot {
  url: string;
  /** The embedded DynamoDB's endpoint (tools and tests read the store through it). */
  dynamoEndpoint: string;
  config: BotConfig;
  flaggerToken: string;
  alertmanagerToken: string;
  signingSecret: string;
  queue: OutboxQueue;
  deps: Deps;
  /** What this start did that a person should know (new secrets, jobs resumed from a previous process). */
  notes: string[];
  /** `/canary doctor` for a configured service, as the worker runs it (npm start's banner shows each one's). */
  doctor(service: string): Promise<DoctorReport>;
  /** The chat console's page, when the bot runs without a Slack workspace on a loopback address. */
  consoleUrl?: string;
  /** Finishes queued Slack work, then stops the server and the embedded store. */
  close(): Promise<void>;
}

/**
 * The local composition root: the Lambda handlers behind one HTTP server, an embedded DynamoDB (dynalite)
 * persisted in the data folder, and a durable queue (an outbox in that store) in place of SQS.
 * A damaged or busy data folder, or unusable secrets, stop it with a LocalStartError before it listens.
 */
export async function startLocal(
  env: NodeJS.ProcessEnv = process.env,
  /** Tests that replay recorded metrics run the bot's clock a little behind. */
  now: () => Date = () => new Date(),
  options: { queue?: OutboxQueueOptions; write?: (line: string) => void } = {},
): Promise<LocalBot> {
  const settings = readSettings(localSettingsSchema, env);
  const config = loadConfig(settings.RELEASE_BOT_CONFIG);
  mkdirSync(settings.RELEASE_BOT_DATA_DIR, { recursive: true });
  const { flaggerToken, signingSecret, alertmanagerToken, created } = localSecrets(settings.RELEASE_BOT_DATA_DIR, {
    flaggerToken: settings.FLAGGER_WEBHOOK_TOKEN,
    alertmanagerToken: settings.ALERTMANAGER_TOKEN,
    signingSecret: settings.SLACK_SIGNING_SECRET,
  });
  const notes = created ? [created] : [];

  const dynalite = await openStore(join(settings.RELEASE_BOT_DATA_DIR, 'dynamodb'));
  const store = new DynamoStore({ client: documentClient(dynalite.endpoint), tableName: TABLE });

  // Without a Slack workspace the bot posts to the chat console's stand-in Web API, with the same client.
  const chatConsole: ChatConsole | undefined = settings.SLACK_BOT_TOKEN
    ? undefined
    : await startConsole(config, options.write ?? ((line) => process.stdout.write(`${line}\n`)));
  const slack = chatConsole
    ? slackClient(chatConsole.webApi.token, chatConsole.webApi.url)
    : slackClient(settings.SLACK_BOT_TOKEN ?? '', settings.SLACK_API_URL);
  const chat = new SlackChat(slack);
  const metrics = config.prometheus
    ? new PrometheusMetrics({ baseUrl: config.prometheus.url, timeoutMs: config.prometheus.timeout })
    : undefined;
  // The runbook executor takes the clusters whose adapter has the runbook verbs (shared/jobs.ts runbookClusters).
  const clusters: ReadonlyMap<string, Cluster> = clustersOf(config);
  const queue: OutboxQueue = new OutboxQueue(
    new DynamoOutbox({ client: documentClient(dynalite.endpoint), tableName: TABLE }),
    async (job) => {
      await runWorkerJob({ config, store, chat, now, clusters, queue, ...(metrics ? { metrics } : {}) }, job, {
        // One process per data folder runs each group's jobs in turn: a lease it left when it crashed is its own.
        owner: LOCAL_OWNER,
      });
    },
    options.queue,
  );
  // Before listening, so what a crashed or stopped process left runs first, in order.
  const left = await queue.resume();
  if (left.pending + left.dead > 0)
    notes.push(
      `Resumed ${left.pending} queued Slack jobs left by the previous run (${left.dead} dead letters retried).`,
    );
  const deps: Deps = {
    config,
    store,
    queue,
    directory: chatConsole ? noGroups : new SlackDirectory(slack),
    now,
    ...(metrics ? { metrics } : {}),
  };

  const host = env.HOST ?? '127.0.0.1';
  // Whoever reaches the console may act as anyone: it is served only on a loopback address.
  const served = chatConsole && LOOPBACK.includes(host) ? chatConsole : undefined;
  let consoleRoutes: ConsoleRoutes | undefined;
  const { server, url } = await startServer({
    deps,
    port: settings.PORT,
    host,
    flaggerToken,
    alertmanagerToken,
    slack: chatConsole
      ? { signingSecret, botToken: chatConsole.webApi.token, apiUrl: chatConsole.webApi.url }
      : {
          signingSecret,
          botToken: settings.SLACK_BOT_TOKEN ?? '',
          ...(settings.SLACK_API_URL ? { apiUrl: settings.SLACK_API_URL } : {}),
        },
    ...(served
      ? {
          console: { handle: (req, res) => consoleRoutes?.handle(req, res) ?? false },
          onFlaggerAnswer: served.tapFlagger,
        }
      : {}),
  });
  if (served) consoleRoutes = served.routes({ url, port: Number(new URL(url).port), signingSecret });
  // Where this bot listens, for `npm run slack` (which then needs no PORT); the data folder is one bot's anyway.
  writeFileSync(join(settings.RELEASE_BOT_DATA_DIR, SERVER_URL_FILE), `${url}\n`);
  const socket =
    settings.SLACK_APP_TOKEN && settings.SLACK_BOT_TOKEN
      ? await startSocketMode(deps, settings.SLACK_APP_TOKEN, settings.SLACK_BOT_TOKEN)
      : undefined;

  return {
    url,
    dynamoEndpoint: dynalite.endpoint,
    config,
    flaggerToken,
    alertmanagerToken,
    signingSecret,
    queue,
    deps,
    notes,
    doctor: (service) => runDoctor({ config, clusters: runbookClusters(clusters) }, service),
    ...(served ? { consoleUrl: `${url}/console` } : {}),
    close: async () => {
      await closeServer(server);
      await socket?.stop();
      await queue.drain();
      await chatConsole?.close();
      await dynalite.close();
    },
  };
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

/** Socket Mode: a real workspace without a public URL; the same listeners as the HTTP endpoint. */
async function startSocketMode(deps: Deps, appToken: string, botToken: string): Promise<App> {
  const app = new App({ socketMode: true, appToken, token: botToken, logLevel: LogLevel.WARN });
  registerListeners(app, deps);
  await app.start();
  return app;
}

/** dynalite on the data folder, once the folder checked out: never a fresh table over existing data. */
async function openStore(folder: string): Promise<Dynalite> {
  const state = await checkDataFolder(folder);
  const dynalite = await startDynalite({ dataDir: folder });
  try {
    const dynamo = dynamoClient(dynalite.endpoint);
    await openTable(folder, state, { dynamo, documents: documentClient(dynalite.endpoint) }, TABLE, () =>
      createTable(dynamo, TABLE),
    );
    return dynalite;
  } catch (error) {
    await dynalite.close();
    throw error;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
