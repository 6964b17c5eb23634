import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { asReleaseBotError, isClientError, type ReleaseBotError } from '../../shared/domain/errors';
import type { HookCall } from '../../shared/domain/flagger';
import { flaggerAnswer } from '../../shared/http/flagger-answer';
import { readHookCall } from '../../shared/http/flagger-edge';
import { errorResponse, type HttpResult, text } from '../../shared/http/responses';
import { correlatedLog, type Log, requestIdOf, withLog } from '../../shared/observability/logger';
import type { CoreDeps } from '../../shared/usecases/deps';
import { handleHook } from '../../shared/usecases/flagger-hook';

/** What the entry point does besides logging when answering failed inside the bot (count it for the alarm). */
export type OnFailure = (error: unknown, call: HookCall | undefined) => Promise<void>;

/**
 * POST /flagger/<hook-type>: validate, answer the hook, map the answer to a status Flagger understands.
 * `tokens`: every token valid now (the current one, and the previous one during a rotation).
 * Every line logged while answering carries the request's correlation id, then the hook and the release's service.
 */
export function flaggerHandler(deps: () => Promise<CoreDeps>, tokens: readonly string[], onFailure?: OnFailure) {
  const answerHook = async (event: APIGatewayProxyEventV2, log: Log): Promise<HttpResult> => {
    let call: HookCall | undefined;
    try {
      const ready = await deps();
      call = readHookCall(event, tokens, ready.now());
      log.appendPersistentKeys({ hook: call.hook, release_service: call.service });
      const answer = flaggerAnswer(await handleHook(ready, call));
      return text(answer.status, answer.message);
    } catch (error) {
      // Only reading the request throws client errors (4xx): the request was wrong, and nothing was read or written.
      if (call === undefined && isClientError(error)) return refused(log, error);
      // Never a 5xx: Flagger drops 5xx bodies and retries. A refusal with the reason keeps the gate closed and
      // visible; the stack and the count tell an operator that this 403 is the bot failing, not a gate waiting.
      const failure = asReleaseBotError(error);
      log.error('Flagger hook failed inside the bot; answered 403', {
        code: failure.code,
        retryable: failure.retryable,
        error,
      });
      await onFailure?.(error, call).catch(() => undefined);
      const what = call ? `${call.hook} for ${call.service}` : 'this webhook';
      return text(403, `release-bot could not process ${what} (${failure.message}); the gate stays closed`);
    }
  };
  return (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    const log = correlatedLog(requestIdOf(event), { route: 'flagger' });
    return withLog(log, () => answerHook(event, log));
  };
}

/** A request that is not a valid webhook call: its status and sentence, and a line for whoever looks into it. */
function refused(log: Log, error: ReleaseBotError): HttpResult {
  log.info('Flagger request refused', { status: error.statusCode, code: error.code, reason: error.message });
  return errorResponse(error);
}
