import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { App, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { ConsoleChat, noGroups } from '../shared/adapters/console-chat';
import { documentClient, dynamoClient, startDynalite } from '../shared/adapters/dynalite';
import { createTable, DynamoStore } from '../shared/adapters/dynamo-store';
import { clustersOf } from '../shared/adapters/kubernetes-cluster';
import { MemoryQueue } from '../shared/adapters/memory-queue';
import { PrometheusMetrics } from '../shared/adapters/prometheus-metrics';
import { SlackChat, SlackDirectory } from '../shared/adapters/slack-chat';
import { type BotConfig, loadConfig } from '../shared/config/load';
import { localSettingsSchema, readSettings } from '../shared/config/settings';
import { registerListeners } from '../shared/slack/app';
import type { Deps } from '../shared/usecases/deps';
import { runJob } from '../shared/usecases/worker';
import { startServer } from './server';

const TABLE = 'release-bot';

export interface LocalBot {
  url: string;
  config: BotConfig;
  flaggerToken: string;
  signingSecret: string;
  queue: MemoryQueue;
  deps: Deps;
  /** Finishes queued Slack work, then stops the server and the embedded store. */
  close(): Promise<void>;
}

/**
 * The local composition root: the Lambda handlers behind one HTTP server, an embedded DynamoDB (dynalite)
 * persisted in the data folder, and an in-process queue in place of SQS.
 */
export async function startLocal(
  env: NodeJS.ProcessEnv = process.env,
  /** Tests that replay recorded metrics run the bot's clock a little behind. */
  now: () => Date = () => new Date(),
): Promise<LocalBot> {
  const settings = readSettings(localSettingsSchema, env);
  const config = loadConfig(settings.RELEASE_BOT_CONFIG);
  mkdirSync(settings.RELEASE_BOT_DATA_DIR, { recursive: true });
  const secrets = localSecrets(settings.RELEASE_BOT_DATA_DIR);
  const flaggerToken = settings.FLAGGER_WEBHOOK_TOKEN ?? secrets.flaggerToken;
  const signingSecret = settings.SLACK_SIGNING_SECRET ?? secrets.signingSecret;

  const dynalite = await startDynalite({ dataDir: join(settings.RELEASE_BOT_DATA_DIR, 'dynamodb') });
  await createTable(dynamoClient(dynalite.endpoint), TABLE);
  const store = new DynamoStore({ client: documentClient(dynalite.endpoint), tableName: TABLE });

  const slack = settings.SLACK_BOT_TOKEN
    ? new WebClient(settings.SLACK_BOT_TOKEN, settings.SLACK_API_URL ? { slackApiUrl: settings.SLACK_API_URL } : {})
    : undefined;
  const chat = slack ? new SlackChat(slack) : new ConsoleChat();
  const metrics = config.prometheus
    ? new PrometheusMetrics({ baseUrl: config.prometheus.url, timeoutMs: config.prometheus.timeout })
    : undefined;
  const clusters = clustersOf(config);
  const queue = new MemoryQueue((job) =>
    runJob({ config, store, chat, now, clusters, ...(metrics ? { metrics } : {}) }, job),
  );
  const deps: Deps = {
    config,
    store,
    queue,
    directory: slack ? new SlackDirectory(slack) : noGroups,
    now,
    ...(metrics ? { metrics } : {}),
  };

  const port = settings.PORT;
  const { server, url } = await startServer({
    deps,
    port,
    host: env.HOST ?? '127.0.0.1',
    flaggerToken,
    slack: {
      signingSecret,
      botToken: settings.SLACK_BOT_TOKEN ?? 'xoxb-local',
      ...(settings.SLACK_API_URL ? { apiUrl: settings.SLACK_API_URL } : {}),
    },
  });
  const socket =
    settings.SLACK_APP_TOKEN && settings.SLACK_BOT_TOKEN
      ? await startSocketMode(deps, settings.SLACK_APP_TOKEN, settings.SLACK_BOT_TOKEN)
      : undefined;

  return {
    url,
    config,
    flaggerToken,
    signingSecret,
    queue,
    deps,
    close: async () => {
      await closeServer(server);
      await socket?.stop();
      await queue.drain();
      await dynalite.close();
    },
  };
}

/** Socket Mode: a real workspace without a public URL; the same listeners as the HTTP endpoint. */
async function startSocketMode(deps: Deps, appToken: string, botToken: string): Promise<App> {
  const app = new App({ socketMode: true, appToken, token: botToken, logLevel: LogLevel.WARN });
  registerListeners(app, deps);
  await app.start();
  return app;
}

/** Without FLAGGER_WEBHOOK_TOKEN / SLACK_SIGNING_SECRET, random ones are made once and kept in the data folder. */
function localSecrets(dataDir: string): { flaggerToken: string; signingSecret: string } {
  const file = join(dataDir, 'local-secrets.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    const secrets = {
      flaggerToken: randomBytes(18).toString('base64url'),
      signingSecret: randomBytes(16).toString('hex'),
    };
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    return secrets;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
