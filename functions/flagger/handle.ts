import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HookCall } from '../../shared/domain/flagger';
import { flaggerAnswer } from '../../shared/http/flagger-answer';
import { readHookCall } from '../../shared/http/flagger-edge';
import { type HttpResult, text } from '../../shared/http/responses';
import type { CoreDeps } from '../../shared/usecases/deps';
import { handleHook } from '../../shared/usecases/flagger-hook';

/** What the entry point does besides logging when answering failed inside the bot (AWS: count it for the alarm). */
export type OnFailure = (error: unknown, call: HookCall | undefined) => Promise<void>;

/**
 * POST /flagger/<hook-type>: validate, answer the hook, map the answer to a status Flagger understands.
 * `tokens`: every token valid now (the current one, and the previous one during a rotation).
 */
export function flaggerHandler(deps: () => Promise<CoreDeps>, tokens: readonly string[], onFailure?: OnFailure) {
  return async (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    let call: HookCall | undefined;
    try {
      const ready = await deps();
      const read = readHookCall(event, tokens, ready.now());
      if ('statusCode' in read) return read;
      call = read;
      const answer = flaggerAnswer(await handleHook(ready, call));
      return text(answer.status, answer.message);
    } catch (error) {
      // Never a 5xx: Flagger drops 5xx bodies and retries. A refusal with the reason keeps the gate closed and visible.
      console.error(
        JSON.stringify({ msg: 'hook failed', hook: call?.hook, service: call?.service, error: String(error) }),
      );
      await onFailure?.(error, call).catch(() => undefined);
      const what = call ? `${call.hook} for ${call.service}` : 'this webhook';
      return text(403, `release-bot could not process ${what} (${(error as Error).message}); the gate stays closed`);
    }
  };
}
