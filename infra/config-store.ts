import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import {
  Application,
  ConfigurationContent,
  DeploymentStrategy,
  DeploymentStrategyId,
  Environment,
  HostedConfiguration,
} from 'aws-cdk-lib/aws-appconfig';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { type BotConfig, loadConfig } from '../shared/config/load';

/**
 * The YAML configuration in AWS AppConfig, outside the bundles: a new version is a hosted-configuration version and a
 * deployment, so changing approvers redeploys no function. Why AppConfig over SSM or S3: every version is kept and
 * numbered, a deployment can be rolled back, and the AWS AppConfig agent (a Lambda extension) polls it and serves it
 * on localhost with no SDK client in the function; SSM's standard tier stops at 4 KB and S3 needs the heavy S3 client
 * on the cold-start path.
 *
 * The file is validated here, at synth, by the same parser as `npm start`, so a bad file fails `cdk synth` with the
 * same sentences; the functions validate again when they load a version.
 */
export class ConfigStore extends Construct {
  readonly config: BotConfig;
  /** `<application id>/<environment id>/<profile id>`, as the functions read it from RELEASE_BOT_APPCONFIG. */
  readonly locator: string;
  /** The same profile as the AppConfig agent's path, `/applications/<a>/environments/<e>/configurations/<p>`. */
  readonly agentPath: string;
  private readonly profileArn: string;

  constructor(scope: Construct, id: string, configFile: string) {
    super(scope, id);
    this.config = loadConfig(configFile);
    const text = readFileSync(configFile, 'utf8');

    const application = new Application(this, 'Application', { description: 'release-bot configuration' });
    const environment = new Environment(this, 'Environment', { application, description: 'what the bot runs with' });
    const hosted = new HostedConfiguration(this, 'Yaml', {
      application,
      content: ConfigurationContent.fromInlineYaml(text),
      description: `from ${configFile}`,
      deployTo: [environment],
      // The bot reloads within a minute anyway; a staged rollout would only make approvers wait.
      deploymentStrategy: DeploymentStrategy.fromDeploymentStrategyId(
        this,
        'AllAtOnce',
        DeploymentStrategyId.ALL_AT_ONCE,
      ),
    });
    this.locator = `${application.applicationId}/${environment.environmentId}/${hosted.configurationProfileId}`;
    this.agentPath = `/applications/${application.applicationId}/environments/${environment.environmentId}/configurations/${hosted.configurationProfileId}`;
    this.profileArn = Stack.of(this).formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${application.applicationId}/environment/${environment.environmentId}/configuration/${hosted.configurationProfileId}`,
    });
  }

  /** Lets a function read this one configuration profile in this one environment, nothing else. */
  grantRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
        resources: [this.profileArn],
      }),
    );
  }
}
