import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Peer, Port, SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ampWorkspaceOf } from '../shared/adapters/amp';
import { HOOK_TYPES } from '../shared/domain/flagger';
import { deployedRoutes } from '../shared/http/routes';
import { BotAlarms } from './alarms';
import { BotApi } from './api';
import { AuditExport } from './audit-export';
import { ConfigStore } from './config-store';
import { EksAccess, eksClustersOf } from './eks-access';
import { lambdaExtensions } from './extensions';
import { BotFunction, FUNCTIONS, type FunctionSpec, SECRETS, type SecretName } from './functions';
import type { StackSettings } from './settings';

export type ReleaseBotStackProps = StackProps & { settings: StackSettings };

/**
 * The only DynamoDB calls shared/adapters/dynamo-table.ts makes on Lambda (no Scan, Delete, batch writes or
 * transactions); test/infra/access.test.ts checks the list against the commands that file sends.
 */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:Query',
];

/**
 * API Gateway (HTTP API) -> Flagger and Slack functions -> DynamoDB; slow work -> SQS FIFO -> worker -> Slack.
 * Configuration in AppConfig, secrets in Secrets Manager (both read at run time through Lambda extensions, cached),
 * alarms on one topic.
 */
export class ReleaseBotStack extends Stack {
  readonly functions = new Map<string, BotFunction>();

  constructor(scope: Construct, id: string, props: ReleaseBotStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const store = new ConfigStore(this, 'Config', settings.configFile);

    const table = new Table(this, 'State', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The audit export reads new items from the stream.
      stream: StreamViewType.NEW_IMAGE,
      // The audit trail lives here: keep it when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const worker = FUNCTIONS.find((f) => f.queue === 'consume');
    // AWS's rule for a Lambda-fed queue: visibility at least 6 x the function timeout, so retries never overlap.
    const visibility = Duration.seconds(6 * (worker?.timeoutSeconds ?? 60));
    const deadLetters = new Queue(this, 'JobsDeadLetters', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const jobs = new Queue(this, 'Jobs', {
      fifo: true,
      visibilityTimeout: visibility,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });

    const secrets = new Map<SecretName, Secret>();
    const secretOf = (name: SecretName) => secrets.get(name) ?? this.secret(name, secrets);

    const network = this.network(settings, store);
    const extensions = lambdaExtensions(this, store.agentPath);
    const amp = store.config.prometheus ? ampWorkspaceOf(store.config.prometheus.url) : undefined;

    for (const spec of FUNCTIONS) {
      const fn = new BotFunction(this, {
        spec,
        extensions,
        environment: {
          RELEASE_BOT_APPCONFIG: store.locator,
          TABLE_NAME: table.tableName,
          QUEUE_URL: jobs.queueUrl,
          ...Object.fromEntries(spec.secrets.map((s) => [`${s.toUpperCase()}_SECRET_ARN`, secretOf(s).secretArn])),
        },
        ...(spec.private && network ? { network: network(spec) } : {}),
      });
      this.functions.set(spec.name, fn);
      store.grantRead(fn.role);
      for (const s of spec.secrets) secretOf(s).grantRead(fn.role);
      fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: TABLE_ACTIONS, resources: [table.tableArn] }));
      if (spec.queue === 'send') {
        fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [jobs.queueArn] }));
      } else {
        fn.fn.addEventSource(new SqsEventSource(jobs, { batchSize: 10, reportBatchItemFailures: true }));
      }
      if (amp && spec.private) {
        fn.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['aps:QueryMetrics'],
            resources: [
              this.formatArn({
                service: 'aps',
                region: amp.region,
                resource: 'workspace',
                resourceName: amp.workspaceId,
              }),
            ],
          }),
        );
      }
    }
    const workerFn = this.functions.get('worker');
    if (workerFn) {
      new EksAccess(this, 'Eks', {
        clusters: eksClustersOf(store.config),
        role: workerFn.role,
        create: settings.eksAccess === 'create',
      });
    }

    const api = new BotApi(this, 'Api', {
      routes: deployedRoutes().flatMap((route) => {
        const fn = this.functions.get(route.handler);
        return fn ? [{ ...route, fn: fn.fn }] : [];
      }),
      ...(settings.domainName && settings.certificateArn
        ? { domain: { name: settings.domainName, certificateArn: settings.certificateArn } }
        : {}),
    });

    const alarms = new BotAlarms(this, 'Alarms', settings.alarmEmail);
    alarms.watchQueues(jobs, deadLetters, Duration.minutes(5));
    for (const [name, fn] of this.functions) alarms.watchFunction(fn, name);
    const flagger = this.functions.get('flagger');
    if (flagger) alarms.watchFlaggerFailures(flagger.logGroup);
    if (this.functions.has('alertmanager')) alarms.watchAlertmanagerFailures();

    const audit = new AuditExport(this, 'Audit', { table, retentionDays: settings.auditRetentionDays });

    this.outputs({ api, alarms, jobs, deadLetters, secrets, audit });
  }

  private secret(name: SecretName, secrets: Map<SecretName, Secret>): Secret {
    const [firstKey] = SECRETS[name].split(/[ ,]/);
    const secret = new Secret(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}Secret`, {
      secretName: `${this.stackName}/${name}`,
      description: `release-bot: JSON with ${SECRETS[name]}`,
      // Flagger's token can be random; Slack's values come from Slack and must be put in after the first deploy.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: firstKey ?? 'TOKEN',
        excludePunctuation: true,
        passwordLength: 48,
      },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Slack tokens are rotated in Slack and webhook tokens in the Canaries; the functions re-read the secret every 5 minutes and accept a _PREVIOUS token, so a rotation is a put-secret-value, not a rotation Lambda.',
    });
    secrets.set(name, secret);
    return secret;
  }

  /** The VPC placement for private functions, when vpcId and subnetIds are given: a security group per function. */
  private network(settings: StackSettings, store: ConfigStore) {
    if (!settings.vpcId || !settings.subnetIds) return undefined;
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: settings.vpcId,
      availabilityZones: Fn.getAzs(),
      privateSubnetIds: settings.subnetIds,
    });
    const subnets = { subnets: settings.subnetIds.map((id) => Subnet.fromSubnetId(this, id, id)) };
    const prometheusPort = portOf(store.config.prometheus?.url);
    return (spec: FunctionSpec) => {
      const securityGroup = new SecurityGroup(this, `${spec.name}Sg`, {
        vpc,
        description: `release-bot ${spec.name}: no inbound; HTTPS out (AWS APIs, Slack, the Kubernetes API)`,
        allowAllOutbound: false,
      });
      securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs, Slack, EKS apiserver');
      // The Prometheus host is the configuration's; its address range is the cluster's, which the stack cannot know.
      if (prometheusPort && prometheusPort !== 443) {
        securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(prometheusPort), 'Prometheus named in the configuration');
      }
      return { vpc, subnets, securityGroup };
    };
  }

  private outputs(o: {
    api: BotApi;
    alarms: BotAlarms;
    jobs: Queue;
    deadLetters: Queue;
    secrets: Map<SecretName, Secret>;
    audit: AuditExport;
  }): void {
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    for (const hook of HOOK_TYPES) {
      const id = hook.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
      out(`FlaggerHook${id}`, `${o.api.url}/flagger/${hook}`, `Canary webhook url for type ${hook}`);
    }
    out(
      'AlertmanagerUrl',
      `${o.api.url}/alertmanager`,
      'Alertmanager webhook_configs url (Bearer token: ALERTMANAGER_TOKEN in the alertmanager secret)',
    );
    out(
      'SlackRequestUrl',
      `${o.api.url}/slack/events`,
      'Slack app: slash command, interactivity and event request URL',
    );
    if (o.api.domainTarget) out('DomainTarget', o.api.domainTarget, 'CNAME the custom domain to this');
    const workerFn = this.functions.get('worker');
    if (workerFn)
      out('WorkerRoleArn', workerFn.role.roleArn, 'IAM role the EKS access entry maps to group release-bot');
    out('AlarmTopicArn', o.alarms.topic.topicArn, 'Subscribe on-call to this SNS topic');
    out('DeadLetterQueueUrl', o.deadLetters.queueUrl, 'Jobs that failed 5 times');
    out(
      'RedriveCommand',
      Fn.join('', [
        'aws sqs start-message-move-task --source-arn ',
        o.deadLetters.queueArn,
        ' --destination-arn ',
        o.jobs.queueArn,
      ]),
      'After fixing the cause: moves dead-lettered jobs back (jobs are idempotent)',
    );
    for (const [name, secret] of o.secrets) {
      out(`${name.charAt(0).toUpperCase()}${name.slice(1)}SecretArn`, secret.secretArn, `JSON with ${SECRETS[name]}`);
    }
    out('AuditBucket', o.audit.bucket.bucketName, 'Audit trail export (Object Lock), readable without the bot');
  }
}

function portOf(url: string | undefined): number | undefined {
  if (!url) return undefined;
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}
