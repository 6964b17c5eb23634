import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLE, copyCommands, RUNTIME_FILES } from './bundle';
import type { LambdaExtensions } from './extensions';

/** The secrets the bot reads at run time, one Secrets Manager secret each, so a function reads only its own. */
export const SECRETS = {
  flagger: 'FLAGGER_WEBHOOK_TOKEN, and FLAGGER_WEBHOOK_TOKEN_PREVIOUS while Canaries move to a new token',
  slack: 'SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (xoxb-...)',
  alertmanager: 'ALERTMANAGER_TOKEN, and ALERTMANAGER_TOKEN_PREVIOUS during a rotation',
} as const;
export type SecretName = keyof typeof SECRETS;

export interface FunctionSpec {
  /** `functions/<name>/handler.ts` */
  name: string;
  secrets: readonly SecretName[];
  timeoutSeconds: number;
  memoryMb?: number;
  /** Reads Prometheus (snapshots, `slo` gates) or the Kubernetes API: placed in the VPC when one is configured. */
  private: boolean;
  /** Sends jobs to the worker's queue, or is the worker. */
  queue: 'send' | 'consume';
}

/**
 * Every function of the bot, one line each. The Flagger function answers inside Flagger's 10 s and carries no Slack
 * client; the Slack one inside Slack's 3 s; the worker draws charts (more memory) and talks to clusters.
 * Its public routes, if any, are in `shared/http/routes.ts`. The Alertmanager one answers inside Alertmanager's 10 s.
 */
export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'flagger',
    secrets: ['flagger'],
    timeoutSeconds: 9,
    private: true,
    queue: 'send',
  },
  // Reads only the store and queues the runbook (the worker talks to clusters): no VPC, no cold start in one.
  { name: 'alertmanager', secrets: ['alertmanager'], timeoutSeconds: 9, private: false, queue: 'send' },
  {
    name: 'slack',
    secrets: ['slack'],
    timeoutSeconds: 5,
    private: false,
    queue: 'send',
  },
  { name: 'worker', secrets: ['slack'], timeoutSeconds: 60, memoryMb: 1024, private: true, queue: 'consume' },
];

export interface BotFunctionProps {
  spec: FunctionSpec;
  environment: Record<string, string>;
  extensions: LambdaExtensions;
  network?: { vpc: IVpc; subnets: SubnetSelection; securityGroup: ISecurityGroup };
}

const ROOT = join(__dirname, '..');
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * One function as the bot deploys it: arm64, Node 22, CommonJS (see BUNDLE), source maps, X-Ray, its own log group,
 * and its own role that starts empty (no AWS managed policy), so every permission it has is one the stack grants on
 * purpose.
 */
export class BotFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, props: BotFunctionProps) {
    const id = pascal(props.spec.name);
    super(scope, id);
    const { spec } = props;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `release-bot ${spec.name} function`,
    });
    this.logGroup.grantWrite(this.role);
    const files = RUNTIME_FILES[spec.name] ?? [];
    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(ROOT, 'functions', spec.name, 'handler.ts'),
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb ?? 512,
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...BUNDLE.environment, ...props.extensions.environment, ...props.environment },
      paramsAndSecrets: props.extensions.paramsAndSecrets,
      layers: props.extensions.layers,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: [props.network.securityGroup],
          }
        : {}),
      bundling: {
        format: OutputFormat.CJS,
        target: BUNDLE.target,
        minify: BUNDLE.minify,
        mainFields: BUNDLE.mainFields,
        sourceMap: BUNDLE.sourcemap,
        externalModules: BUNDLE.external,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) => copyCommands(files, output),
        },
      },
    });
    if (props.network) this.allowNetworkInterfaces();
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only X-Ray PutTraceSegments/PutTelemetryRecords (no resource-level permissions exist) and, in a VPC, the EC2 network-interface actions Lambda needs (they take no resource ARN at create time).',
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node 22 on purpose: the test suite runs on the node@22 devDependency, the same major as nodejs22.x.',
    });
  }

  /** What Lambda needs to attach the function to the VPC: the managed policy's EC2 part, without its log access. */
  private allowNetworkInterfaces(): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
  }
}
