import { clustersFor } from '../aws/clusters';
import { coreDeps } from '../aws/core';
import { slackClients, slackSecret } from '../aws/slack';
import { workerHandler } from './sqs-handler';

export const handler = workerHandler(async () => {
  const [core, secret] = await Promise.all([coreDeps({ metrics: true }), slackSecret()]);
  return { ...core, chat: slackClients(secret.SLACK_BOT_TOKEN).chat, clusters: clustersFor(core.config) };
});
