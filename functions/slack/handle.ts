import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type HttpResult, json, text } from '../../shared/http/responses';
import { checkSlackRequest, type SlackKind } from '../../shared/http/slack-edge';
import { registerListeners } from '../../shared/slack/app';
import type { Deps } from '../../shared/usecases/deps';

export interface SlackSettings {
  signingSecret: string;
  botToken: string;
  /** Slack Web API base URL; a fake Slack on loopback in tests. */
  apiUrl?: string;
}

/** POST /slack/events: slash commands, interactions and events, through Bolt. */
export function slackHandler(deps: Deps, settings: SlackSettings) {
  // Signatures are checked by checkSlackRequest, which answers failures with a sentence instead of an empty 401.
  const receiver = new AwsLambdaReceiver({
    signingSecret: settings.signingSecret,
    signatureVerification: false,
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    receiver,
    // A fixed authorization: no auth.test round trip to Slack inside the 3 s budget.
    authorize: async () => ({ botToken: settings.botToken }),
    ignoreSelf: false,
    logLevel: LogLevel.ERROR,
    ...(settings.apiUrl ? { clientOptions: { slackApiUrl: settings.apiUrl } } : {}),
  });
  app.error(async (error) => {
    console.error(JSON.stringify({ msg: 'slack listener failed', error: String(error.original ?? error) }));
  });
  registerListeners(app, deps);
  const bolt = receiver.toHandler();
  return async (event: APIGatewayProxyEventV2, context?: unknown): Promise<HttpResult> => {
    let kind: SlackKind | undefined;
    try {
      const checked = checkSlackRequest(event, settings.signingSecret, deps.now());
      if ('statusCode' in checked) return checked;
      kind = checked.kind;
      // Slack retries events it thinks we missed; every decision is already idempotent, events are just acknowledged.
      if (checked.event.headers['x-slack-retry-num']) return text(200, 'ok');
      const result = await bolt(checked.event as never, context);
      if (result.statusCode === 200) return result.body ? (result as HttpResult) : acknowledged(kind);
      // 404: no listener acknowledged (it failed before ack, logged by app.error); 500: Bolt itself failed.
      console.error(JSON.stringify({ msg: 'slack request not acknowledged', kind, status: result.statusCode }));
      return failed(kind);
    } catch (error) {
      console.error(JSON.stringify({ msg: 'slack request failed', kind, error: String(error) }));
      return kind ? failed(kind) : text(400, 'release-bot could not read this Slack request; it is logged.');
    }
  };
}

/** Slack wants a 200 quickly; an empty one is an answer to Slack but not to a person reading it, so say something. */
function acknowledged(kind: SlackKind): HttpResult {
  switch (kind) {
    case 'command':
      return json(200, { response_type: 'ephemeral', text: 'Received.' });
    case 'view':
      // The same as an empty answer for release-bot's single modal: close it.
      return json(200, { response_action: 'clear' });
    case 'action':
      return text(200, 'ok');
  }
}

const FAILED =
  'release-bot could not finish this: something failed on its side (it is logged). Check `/canary status` before trying again.';

/** A failure, in the form the person sees it: an ephemeral reply, or the error under the dialog's input. */
function failed(kind: SlackKind): HttpResult {
  switch (kind) {
    case 'command':
      return json(200, { response_type: 'ephemeral', text: FAILED });
    case 'view':
      // `reason` is the input block of the one modal the listeners handle (rejectReasonView).
      return json(200, { response_action: 'errors', errors: { reason: FAILED } });
    case 'action':
      // Slack shows nothing of a click's answer; the log has the error.
      return text(200, FAILED);
  }
}
