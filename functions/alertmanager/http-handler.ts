import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { asReleaseBotError, isClientError } from '../../shared/domain/errors';
import type { ServiceId } from '../../shared/domain/flagger';
import { type Notification, readNotification } from '../../shared/http/alertmanager-edge';
import { errorResponse, type HttpResult, json, text } from '../../shared/http/responses';
import { correlatedLog, type Log, requestIdOf, withLog } from '../../shared/observability/logger';
import { receiveAlert } from '../../shared/usecases/alerts';
import type { CoreDeps } from '../../shared/usecases/deps';

export type OnFailure = (error: unknown) => Promise<void>;

interface Answered {
  fingerprint: string;
  service?: ServiceId;
  outcome: string;
  reason?: string;
}

/**
 * POST /alertmanager: validate, act on each alert, answer 200 with what was done. The work is done before the
 * answer (a few store round trips per alert; the runbook itself is queued), so a failure inside the bot answers 500
 * and Alertmanager retries the whole notification: the alerts already handled are duplicates then, which
 * `receiveAlert` absorbs. Bad input is a 4xx with a sentence, never retried.
 */
export function alertmanagerHandler(deps: () => Promise<CoreDeps>, tokens: readonly string[], onFailure?: OnFailure) {
  const answer = async (event: APIGatewayProxyEventV2, log: Log): Promise<HttpResult> => {
    let notification: Notification | undefined;
    try {
      const ready = await deps();
      notification = readNotification(event, tokens);
      const answered: Answered[] = [];
      for (const alert of notification.alerts) {
        const outcome = await receiveAlert(ready, alert);
        const service = 'run' in outcome ? outcome.run.service : outcome.service;
        answered.push({ fingerprint: alert.fingerprint, ...(service ? { service } : {}), outcome: outcome.code });
      }
      for (const refused of notification.refused) answered.push({ ...refused, outcome: 'refused' });
      log.info('Alertmanager notification handled', { alerts: answered });
      return json(200, { alerts: answered });
    } catch (error) {
      if (notification === undefined && isClientError(error)) {
        log.info('Alertmanager request refused', { status: error.statusCode, code: error.code, reason: error.message });
        return errorResponse(error);
      }
      const failure = asReleaseBotError(error);
      log.error('Alertmanager notification failed inside the bot; answered 500', {
        code: failure.code,
        retryable: failure.retryable,
        error,
      });
      await onFailure?.(error).catch(() => undefined);
      return text(
        500,
        `release-bot could not process this notification (${failure.message}); Alertmanager will retry it`,
      );
    }
  };
  return (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    const log = correlatedLog(requestIdOf(event), { route: 'alertmanager' });
    return withLog(log, () => answer(event, log));
  };
}
