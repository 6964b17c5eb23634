import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalBot, startLocal } from '../local/runtime';
import { FakeSlack } from './fake-slack';
import { buttonClick, sign, slashCommand, viewSubmission } from './slack-requests';

export const FLAGGER_TOKEN = 'flagger-test-token';
export const SIGNING_SECRET = 'slack-signing-secret-for-tests';
/** The bearer token Alertmanager's receiver sends (`http_config.authorization.credentials`). */
export const ALERTMANAGER_TOKEN = 'alertmanager-test-token';

/** The shipped config's service plus one with a quorum, for the tests. */
export const TEST_CONFIG = `
services:
  production/product-service:
    channel: C0RELEASES1
    approvers: { users: [U0APPROVER1, U0APPROVER2], groups: [S0SREGROUP] }
    gates: { confirm-promotion: manual, confirm-traffic-increase: { mode: manual, fromWeight: 30 } }
  production/payment-service:
    channel: C0PAYMENTS1
    quorum: 5
    approvers: { users: [U0PAY00001, U0PAY00002, U0PAY00003, U0PAY00004, U0PAY00005] }
    gates: { confirm-promotion: manual }
`;

export interface Harness {
  bot: LocalBot;
  slack: FakeSlack;
  dataDir: string;
  flagger(hook: string, body: Record<string, unknown>): Promise<{ status: number; text: string }>;
  post(path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  command(text: string, user: string): Promise<{ status: number; text: string }>;
  click(action: string, value: string, user: string): Promise<{ status: number; text: string }>;
  submitView(
    callbackId: string,
    privateMetadata: string,
    reason: string,
    user: string,
  ): Promise<{ status: number; text: string }>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A Flagger payload for production/product-service, as Flagger v1.44 sends it. */
export const payload = (
  phase: string,
  checksum: string,
  extra: Record<string, string> = {},
  name = 'product-service',
) => ({
  name,
  namespace: 'production',
  phase,
  checksum,
  metadata: { token: FLAGGER_TOKEN, ...extra },
});

/** Starts the local bot (as `npm start` builds it) against a fake Slack Web API, in a fresh data folder. */
export async function startHarness(config = TEST_CONFIG, now?: () => Date): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'release-bot-'));
  const configFile = join(dataDir, 'config.yaml');
  writeFileSync(configFile, config);
  const slack = new FakeSlack();
  const apiUrl = await slack.start();
  const env = {
    PORT: '0',
    RELEASE_BOT_CONFIG: configFile,
    RELEASE_BOT_DATA_DIR: join(dataDir, 'data'),
    FLAGGER_WEBHOOK_TOKEN: FLAGGER_TOKEN,
    ALERTMANAGER_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_API_URL: apiUrl,
  };
  let bot = await startLocal(env, now);
  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${bot.url}${path}`, { method: 'POST', body, headers });
    const text = await res.text();
    await bot.queue.drain();
    return { status: res.status, text };
  };
  const slackPost = (body: string) => {
    const signed = sign(body, SIGNING_SECRET);
    return post('/slack/events', signed.body, signed.headers);
  };
  return {
    get bot() {
      return bot;
    },
    slack,
    dataDir,
    flagger: (hook, body) => post(`/flagger/${hook}`, JSON.stringify(body), { 'content-type': 'application/json' }),
    post,
    command: (text, user) => slackPost(slashCommand(text, user)),
    click: (action, value, user) => slackPost(buttonClick(action, value, user)),
    submitView: (callbackId, meta, reason, user) => slackPost(viewSubmission(callbackId, meta, reason, user)),
    restart: async () => {
      await bot.close();
      bot = await startLocal(env, now);
    },
    stop: async () => {
      await bot.close();
      await slack.stop();
    },
  };
}

/** The value of a button in the newest approval request posted to the fake Slack. */
export function buttonValue(slack: FakeSlack, actionId: string): string {
  for (const call of [...slack.called('chat.postMessage')].reverse()) {
    const blocks = (call.args.blocks ?? []) as { type: string; elements?: { action_id?: string; value?: string }[] }[];
    const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId);
    if (button?.value) return button.value;
  }
  throw new Error(`no ${actionId} button was posted`);
}
