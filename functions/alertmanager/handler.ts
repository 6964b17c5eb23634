import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { alertmanagerSettingsSchema } from '../../shared/config/settings';
import { type HttpResult, text } from '../../shared/http/responses';
import { correlatedLog, requestIdOf } from '../../shared/observability/logger';
import { coreDeps } from '../aws/core';
import { ALERTMANAGER_FAILURES, countFailure } from '../aws/observe';
import { secretSettings } from '../aws/parameters';
import { alertmanagerHandler } from './http-handler';

const tokens = () => secretSettings(alertmanagerSettingsSchema, 'ALERTMANAGER_SECRET_ARN');

export async function handler(event: APIGatewayProxyEventV2): Promise<HttpResult> {
  let loaded: [Awaited<ReturnType<typeof coreDeps>>, Awaited<ReturnType<typeof tokens>>];
  try {
    loaded = await Promise.all([coreDeps({ metrics: false }), tokens()]);
  } catch (error) {
    // A 500, so Alertmanager retries: nothing was handed on.
    correlatedLog(requestIdOf(event), { route: 'alertmanager' }).error(
      'cannot load the configuration or the Alertmanager token; answered 500',
      { error },
    );
    await countFailure(ALERTMANAGER_FAILURES);
    return text(500, `release-bot cannot load its configuration or token (${(error as Error).message}); retry later`);
  }
  const [deps, secret] = loaded;
  const valid = [secret.ALERTMANAGER_TOKEN, secret.ALERTMANAGER_TOKEN_PREVIOUS].filter((t): t is string => !!t);
  return alertmanagerHandler(
    async () => deps,
    valid,
    () => countFailure(ALERTMANAGER_FAILURES),
  )(event);
}
