import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { loadConfig } from '../shared/config/load';
import { BUNDLE } from './bundle';

export interface ReleaseBotStackProps extends StackProps {
  /** The YAML configuration bundled into every function. */
  configFile: string;
  /** Secrets Manager secret (JSON) with FLAGGER_WEBHOOK_TOKEN, SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN. */
  secretName: string;
}

const ROOT = join(__dirname, '..');

/**
 * API Gateway (HTTP API) -> Flagger and Slack functions -> DynamoDB; slow work -> SQS FIFO -> worker -> Slack.
 * The Flagger function carries no Slack client, so its cold start stays well inside Flagger's 10 s.
 */
export class ReleaseBotStack extends Stack {
  constructor(scope: Construct, id: string, props: ReleaseBotStackProps) {
    super(scope, id, props);

    const table = new Table(this, 'State', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The audit trail lives here: keep it when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const deadLetters = new Queue(this, 'JobsDeadLetters', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
    });
    const jobs = new Queue(this, 'Jobs', {
      fifo: true,
      visibilityTimeout: Duration.seconds(90),
      encryption: QueueEncryption.SQS_MANAGED,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });

    const secret = (field: string) => SecretValue.secretsManager(props.secretName, { jsonField: field });
    // Resolved at deploy time into the environment: no Secrets Manager call on the cold-start path.
    const env = {
      RELEASE_BOT_CONFIG: './release-bot.yaml',
      TABLE_NAME: table.tableName,
      QUEUE_URL: jobs.queueUrl,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const slackEnv = {
      SLACK_SIGNING_SECRET: secret('SLACK_SIGNING_SECRET').unsafeUnwrap(),
      SLACK_BOT_TOKEN: secret('SLACK_BOT_TOKEN').unsafeUnwrap(),
    };

    const flagger = this.function('Flagger', 'functions/flagger/handler.ts', props.configFile, {
      timeout: Duration.seconds(9),
      environment: { ...env, FLAGGER_WEBHOOK_TOKEN: secret('FLAGGER_WEBHOOK_TOKEN').unsafeUnwrap() },
    });
    const slack = this.function('Slack', 'functions/slack/handler.ts', props.configFile, {
      timeout: Duration.seconds(5),
      environment: { ...env, ...slackEnv },
    });
    // The worker draws charts: resvg's wasm and the fonts are files read at run time, so they ship as node_modules.
    // (client-node is bundled instead: as node_modules it would add 66 MB to the asset.)
    const worker = this.function(
      'Worker',
      'functions/worker/handler.ts',
      props.configFile,
      { timeout: Duration.seconds(60), memorySize: 1024, environment: { ...env, ...slackEnv } },
      ['@resvg/resvg-wasm', '@expo-google-fonts/roboto'],
    );

    // The worker reads each EKS cluster's endpoint and CA; Kubernetes access itself is the access entry + deploy/rbac.yaml.
    const eksClusters = Object.values(loadConfig(props.configFile).clusters).flatMap((c) => ('region' in c ? [c] : []));
    if (eksClusters.length > 0) {
      worker.addToRolePolicy(
        new PolicyStatement({
          actions: ['eks:DescribeCluster'],
          resources: eksClusters.map((c) => `arn:${this.partition}:eks:${c.region}:${this.account}:cluster/${c.name}`),
        }),
      );
    }

    table.grantReadWriteData(flagger);
    table.grantReadWriteData(slack);
    table.grantReadWriteData(worker);
    jobs.grantSendMessages(flagger);
    jobs.grantSendMessages(slack);
    worker.addEventSource(new SqsEventSource(jobs, { batchSize: 10, reportBatchItemFailures: true }));

    const api = new HttpApi(this, 'Api', { description: 'release-bot: Flagger webhooks and Slack requests' });
    api.addRoutes({
      path: '/flagger/{hook}',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('FlaggerIntegration', flagger),
    });
    api.addRoutes({
      path: '/slack/events',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('SlackIntegration', slack),
    });

    new CfnOutput(this, 'ApiUrl', {
      value: api.apiEndpoint,
      description: 'Base URL for Flagger webhooks and the Slack app',
    });
    new CfnOutput(this, 'DeadLetterQueue', { value: deadLetters.queueUrl, description: 'Jobs that failed 5 times' });
  }

  private function(
    id: string,
    entry: string,
    configFile: string,
    props: Partial<NodejsFunctionProps>,
    nodeModules: string[] = [],
  ): NodejsFunction {
    return new NodejsFunction(this, id, {
      entry: join(ROOT, entry),
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      tracing: Tracing.ACTIVE,
      logGroup: new LogGroup(this, `${id}Logs`, {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE.target,
        minify: BUNDLE.minify,
        sourceMap: BUNDLE.sourcemap,
        banner: BUNDLE.banner,
        externalModules: BUNDLE.external,
        nodeModules,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) => [`cp ${configFile} ${output}/release-bot.yaml`],
        },
      },
      ...props,
    });
  }
}
