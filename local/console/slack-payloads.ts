import { createHmac } from 'node:crypto';

/*
 * Requests shaped and signed exactly as Slack sends them to a bot's request URL: the chat console sends these
 * through /slack/events, and the tests build theirs with the same functions (testkit/slack-requests.ts).
 */

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Slack's v0 signature: HMAC-SHA256 of `v0:<timestamp>:<body>` with the app's signing secret. */
export function sign(
  body: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
  contentType = 'application/x-www-form-urlencoded',
): SignedRequest {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
  };
}

export const TEAM = { id: 'T0TEAM0001', domain: 'acme' };
const APP_ID = 'A0RELEASEBOT';
const VERIFICATION_TOKEN = 'deprecated-verification-token';

export interface Reachable {
  /** Where the bot could answer later (the console serves its own; Slack's are hooks.slack.com). */
  responseUrl: string;
  /** What lets the bot open a dialog for this person within 3 s. */
  triggerId: string;
}

const TEST_REACH: Reachable = {
  responseUrl: 'https://hooks.slack.com/commands/T0TEAM0001/1/abc',
  triggerId: '1.2.3',
};

const who = (user: string) => ({ id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM.id });

export function slashCommand(
  text: string,
  user: string,
  channel = 'C0RELEASES1',
  reach: Reachable = TEST_REACH,
): string {
  return new URLSearchParams({
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: channel,
    channel_name: channel.toLowerCase(),
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/canary',
    text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: reach.responseUrl,
    trigger_id: reach.triggerId,
  }).toString();
}

/** The message a button sits on, as Slack sends it back with the click. */
export interface ClickedMessage {
  ts: string;
  text: string;
  blocks?: unknown[];
  /** Ephemeral messages come back without their blocks' message, flagged in the container. */
  ephemeral?: boolean;
}

export interface ClickedButton {
  actionId: string;
  value: string;
  blockId?: string;
  text?: string;
}

export function blockActions(
  button: ClickedButton,
  user: string,
  channel: string,
  message: ClickedMessage,
  reach: Reachable,
): string {
  const payload = {
    type: 'block_actions',
    user: who(user),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: !!message.ephemeral },
    trigger_id: reach.triggerId,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: channel.toLowerCase() },
    ...(message.ephemeral
      ? {}
      : { message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks } }),
    state: { values: {} },
    response_url: reach.responseUrl,
    actions: [
      {
        action_id: button.actionId,
        block_id: button.blockId ?? 'b1',
        text: { type: 'plain_text', text: button.text ?? button.actionId, emoji: true },
        value: button.value,
        type: 'button',
        action_ts: `${Math.floor(Date.now() / 1000)}.000001`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** `/canary`-era tests: a click on a message in #releases. */
export function buttonClick(
  actionId: string,
  value: string,
  user: string,
  channel = 'C0RELEASES1',
  messageTs = '1700000000.000002',
): string {
  return blockActions(
    { actionId, value },
    user,
    channel,
    { ts: messageTs, text: 'approval request' },
    {
      ...TEST_REACH,
      responseUrl: 'https://hooks.slack.com/actions/T0TEAM0001/1/abc',
      triggerId: '12345.98765.abcd',
    },
  );
}

/** The values of a modal's inputs, as Slack sends them: block ID -> action ID -> the typed value. */
export type InputValues = Record<string, Record<string, { type: 'plain_text_input'; value: string }>>;

export function submission(
  view: { id: string; callbackId: string; privateMetadata: string },
  values: InputValues,
  user: string,
  triggerId = '12345.98765.efgh',
): string {
  const payload = {
    type: 'view_submission',
    team: TEAM,
    user: who(user),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: triggerId,
    view: {
      id: view.id,
      team_id: TEAM.id,
      type: 'modal',
      callback_id: view.callbackId,
      private_metadata: view.privateMetadata,
      state: { values },
      hash: '1700000000.abcd',
      app_id: APP_ID,
      bot_id: 'B0RELEASEBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The Reject dialog submitted with a reason. */
export function viewSubmission(callbackId: string, privateMetadata: string, reason: string, user: string): string {
  return submission(
    { id: 'V0VIEW0001', callbackId, privateMetadata },
    { reason: { value: { type: 'plain_text_input', value: reason } } },
    user,
  );
}
