import { App, AwsLambdaReceiver, type Logger, LogLevel } from '@slack/bolt';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { asReleaseBotError, isClientError } from '../../shared/domain/errors';
import { errorResponse, type HttpResult, json, text } from '../../shared/http/responses';
import { checkSlackRequest, type SlackKind } from '../../shared/http/slack-edge';
import { correlatedLog, currentLog, type Log, requestIdOf, withLog } from '../../shared/observability/logger';
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
    logger: boltLogger,
  });
  const app = new App({
    receiver,
    logger: boltLogger,
    // A fixed authorization: no auth.test round trip to Slack inside the 3 s budget.
    authorize: async () => ({ botToken: settings.botToken }),
    ignoreSelf: false,
    ...(settings.apiUrl ? { clientOptions: { slackApiUrl: settings.apiUrl } } : {}),
  });
  // Bolt calls this outside the request's code path, but inside its async context: currentLog() is the request's.
  app.error(async (error) => {
    currentLog().error('Slack listener failed', { error: error.original ?? error });
  });
  registerListeners(app, deps);
  const bolt = receiver.toHandler();
  const answer = async (event: APIGatewayProxyEventV2, context: unknown, log: Log): Promise<HttpResult> => {
    let kind: SlackKind | undefined;
    try {
      const checked = checkSlackRequest(event, settings.signingSecret, deps.now());
      if ('statusCode' in checked) return checked;
      kind = checked.kind;
      log.appendPersistentKeys({ kind });
      // Slack retries events it thinks we missed; every decision is already idempotent, events are just acknowledged.
      if (checked.event.headers['x-slack-retry-num']) return text(200, 'ok');
      const result = await bolt(checked.event as never, context);
      if (result.statusCode === 200) return result.body ? (result as HttpResult) : acknowledged(kind);
      // 404: no listener acknowledged (it failed before ack, logged by app.error); 500: Bolt itself failed.
      log.error('Slack request not acknowledged', { status: result.statusCode });
      return failed(kind);
    } catch (error) {
      // Only checking the request throws client errors (4xx): its status and sentence, nothing read or written.
      if (kind === undefined && isClientError(error)) {
        log.info('Slack request refused', { status: error.statusCode, code: error.code, reason: error.message });
        return errorResponse(error);
      }
      log.error('Slack request failed', { code: asReleaseBotError(error).code, error });
      return kind ? failed(kind) : text(400, 'release-bot could not read this Slack request; it is logged.');
    }
  };
  return (event: APIGatewayProxyEventV2, context?: unknown): Promise<HttpResult> => {
    const log = correlatedLog(requestIdOf(event), { route: 'slack' });
    return withLog(log, () => answer(event, context, log));
  };
}

/**
 * Bolt's own log lines (a listener that never acknowledged, an error it caught) as the bot's JSON lines, with the
 * request's correlation id, instead of Bolt's console text. Bolt's timers log from inside the request's async
 * context, so `currentLog()` is still that request's log.
 */
const boltLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (...message: unknown[]) => currentLog().warn(`Bolt: ${message.join(' ')}`),
  error: (...message: unknown[]) => currentLog().error(`Bolt: ${message.join(' ')}`),
  setLevel: () => {},
  getLevel: () => LogLevel.WARN,
  setName: () => {},
};

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
