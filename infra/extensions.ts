import { Aws, CfnMapping, Duration, Stack, Token } from 'aws-cdk-lib';
import { Application, Platform } from 'aws-cdk-lib/aws-appconfig';
import {
  type ILayerVersion,
  LayerVersion,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
} from 'aws-cdk-lib/aws-lambda';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { Construct } from 'constructs';

/**
 * The AWS-managed Lambda extensions every function reads its secret and the configuration from
 * (functions/aws/extensions.ts): the Parameters and Secrets extension and the AppConfig agent. They replace three SDK
 * clients on every cold start (bench/cold-start.ts) and cache with the ages below; the functions keep each value a
 * little longer in memory (functions/aws/parameters.ts), so a rotated secret is in force within 5 minutes and a new
 * configuration version within a minute.
 */
export interface LambdaExtensions {
  paramsAndSecrets: ParamsAndSecretsLayerVersion;
  layers: ILayerVersion[];
  environment: Record<string, string>;
}

export function lambdaExtensions(scope: Construct, configPath: string): LambdaExtensions {
  return {
    paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
      secretsManagerTtl: Duration.seconds(240),
      cacheSize: 10,
      logLevel: ParamsAndSecretsLogLevel.WARN,
    }),
    layers: [LayerVersion.fromLayerVersionArn(scope, 'AppConfigAgent', appConfigAgentArn(scope))],
    environment: {
      AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS: '45',
      // Fetched while the extension starts, beside the function's own init, not on its first request.
      AWS_APPCONFIG_EXTENSION_PREFETCH_LIST: configPath,
    },
  };
}

/**
 * The AppConfig agent's arm64 layer in the stack's region, from CDK's own table: looked up at synth when the region
 * is known, else through a mapping of every region the table has (the stack is environment-agnostic by default).
 */
function appConfigAgentArn(scope: Construct): string {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    const arn = Application.getLambdaLayerVersionArn(stack.region, Platform.ARM_64);
    if (!arn) throw new Error(`CDK knows no arm64 AppConfig agent layer in ${stack.region}`);
    return arn;
  }
  const mapping: Record<string, Record<string, string>> = {};
  for (const { name } of RegionInfo.regions) {
    const arn = Application.getLambdaLayerVersionArn(name, Platform.ARM_64);
    if (arn) mapping[name] = { arn };
  }
  return new CfnMapping(stack, 'AppConfigAgentLayers', { mapping }).findInMap(Aws.REGION, 'arn');
}
