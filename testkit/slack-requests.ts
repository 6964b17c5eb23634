import { createHmac } from 'node:crypto';

/** Requests shaped and signed exactly as Slack sends them to a bot's request URL. */
export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

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

const TEAM = { id: 'T0TEAM0001', domain: 'acme' };

export function slashCommand(text: string, user: string, channel = 'C0RELEASES1'): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: channel,
    channel_name: 'releases',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/canary',
    text,
    api_app_id: 'A0RELEASEBOT',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/T0TEAM0001/1/abc',
    trigger_id: '1.2.3',
  }).toString();
}

export function buttonClick(
  actionId: string,
  value: string,
  user: string,
  channel = 'C0RELEASES1',
  messageTs = '1700000000.000002',
): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0RELEASEBOT',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: '12345.98765.abcd',
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'releases' },
    message: { type: 'message', ts: messageTs, text: 'approval request' },
    state: { values: {} },
    response_url: 'https://hooks.slack.com/actions/T0TEAM0001/1/abc',
    actions: [
      {
        action_id: actionId,
        block_id: 'b1',
        text: { type: 'plain_text', text: actionId, emoji: true },
        value,
        type: 'button',
        action_ts: '1700000001.000001',
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function viewSubmission(callbackId: string, privateMetadata: string, reason: string, user: string): string {
  const payload = {
    type: 'view_submission',
    team: TEAM,
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0RELEASEBOT',
    token: 'deprecated-verification-token',
    trigger_id: '12345.98765.efgh',
    view: {
      id: 'V0VIEW0001',
      team_id: TEAM.id,
      type: 'modal',
      callback_id: callbackId,
      private_metadata: privateMetadata,
      state: { values: { reason: { value: { type: 'plain_text_input', value: reason } } } },
      hash: '1700000000.abcd',
      app_id: 'A0RELEASEBOT',
      bot_id: 'B0RELEASEBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
