import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SlackSettings as Secret } from '../../shared/config/settings';
import type { Deps } from '../../shared/usecases/deps';
import { coreDeps } from '../aws/core';
import { latest } from '../aws/memo';
import { slackClients, slackSecret } from '../aws/slack';
import { slackHandler } from './http-handler';

/**
 * One Bolt app per signing secret and bot token (rebuilt when either rotates). The listeners read `live`, whose
 * configuration is replaced before each invocation, so a new AppConfig version applies without a new app.
 */
const live = {} as Deps;
const appFor = latest((key: string) => {
  const [signingSecret = '', botToken = ''] = key.split('\n');
  const apiUrl = process.env.SLACK_API_URL;
  return slackHandler(live, { signingSecret, botToken, ...(apiUrl ? { apiUrl } : {}) });
});

export async function handler(event: APIGatewayProxyEventV2, context?: unknown) {
  const [core, secret] = await Promise.all([coreDeps({ metrics: false }), slackSecret()]);
  Object.assign(live, core, { directory: slackClients(secret.SLACK_BOT_TOKEN).directory });
  return appFor(keyOf(secret))(event, context);
}

const keyOf = (secret: Secret) => `${secret.SLACK_SIGNING_SECRET}\n${secret.SLACK_BOT_TOKEN}`;
