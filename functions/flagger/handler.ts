import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { flaggerSettingsSchema } from '../../shared/config/settings';
import { type HttpResult, text } from '../../shared/http/responses';
import { correlatedLog, requestIdOf } from '../../shared/observability/logger';
import { coreDeps } from '../aws/core';
import { countFailure, FLAGGER_FAILURES } from '../aws/observe';
import { secretSettings } from '../aws/parameters';
import { flaggerHandler } from './http-handler';

const tokens = () => secretSettings(flaggerSettingsSchema, 'FLAGGER_SECRET_ARN');

export async function handler(event: APIGatewayProxyEventV2): Promise<HttpResult> {
  let loaded: [Awaited<ReturnType<typeof coreDeps>>, Awaited<ReturnType<typeof tokens>>];
  try {
    loaded = await Promise.all([coreDeps({ metrics: true }), tokens()]);
  } catch (error) {
    // A refusal with the reason, as for any failure on this path: the gate stays closed, and the alarm says why.
    correlatedLog(requestIdOf(event), { route: 'flagger' }).error(
      'cannot load the configuration or the Flagger token; answered 403',
      { error },
    );
    await countFailure(FLAGGER_FAILURES);
    return text(
      403,
      `release-bot cannot load its configuration or token (${(error as Error).message}); the gate stays closed`,
    );
  }
  const [deps, secret] = loaded;
  // Both tokens are valid during a rotation.
  const valid = [secret.FLAGGER_WEBHOOK_TOKEN, secret.FLAGGER_WEBHOOK_TOKEN_PREVIOUS].filter((t): t is string => !!t);
  return flaggerHandler(async () => deps, valid, countHookFailure)(event);
}

/** Logged (with its stack) by the handler; counted here for the FlaggerFailures alarm. */
const countHookFailure = () => countFailure(FLAGGER_FAILURES);
