import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { ReleaseBotStack } from './release-bot-stack';

const app = new App();
new ReleaseBotStack(app, app.node.tryGetContext('stackName') ?? 'ReleaseBot', {
  configFile: resolve(app.node.tryGetContext('configFile') ?? 'config/release-bot.yaml'),
  secretName: app.node.tryGetContext('secretName') ?? 'release-bot',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
