import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReleaseBotStack } from './release-bot-stack';
import { readStackSettings } from './settings';

const app = new App();
const settings = readStackSettings((key) => app.node.tryGetContext(key));
new ReleaseBotStack(app, settings.stackName, {
  settings: { ...settings, configFile: resolve(settings.configFile) },
  // Environment-agnostic unless a profile gives these: `cdk synth` needs no credentials and makes no lookups.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag's AWS Solutions pack: an unacknowledged finding fails synth. Every acknowledgement in infra/ has a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
