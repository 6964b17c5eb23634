import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type HttpResult, text } from '../../shared/http/responses';
import { checkSlackRequest } from '../../shared/http/slack-edge';
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
    const checked = checkSlackRequest(event, settings.signingSecret, deps.now());
    if ('statusCode' in checked) return checked;
    // Slack retries events it thinks we missed; every decision is already idempotent, events are just acknowledged.
    if (checked.event.headers['x-slack-retry-num']) return text(200, 'ok');
    const result = await bolt(checked.event as never, context);
    return { ...result, body: result.body ?? '', statusCode: result.statusCode } as HttpResult;
  };
}
