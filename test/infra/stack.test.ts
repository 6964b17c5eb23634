import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ReleaseBotStack } from '../../infra/release-bot-stack';

function synth(configFile = join(__dirname, '../../config/release-bot.yaml')): Template {
  // Skip bundling: the template is what is asserted here; bundles are tested in test/integration/lambda-bundles.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ReleaseBotStack(app, 'Test', { configFile, secretName: 'release-bot' });
  return Template.fromStack(stack);
}

describe('Class: ReleaseBotStack', () => {
  const template = synth();

  it('keeps state in one DynamoDB table with pk/sk, point-in-time recovery, retained on delete', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
  });

  it('queues slow work on a FIFO queue with a FIFO dead-letter queue after 5 attempts', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  it('runs three arm64 Node.js 22 functions, the Flagger one inside its 10 s webhook timeout', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs22.x', Architectures: ['arm64'] },
    });
    expect(Object.keys(functions)).toHaveLength(3);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 9,
      Environment: { Variables: Match.objectLike({ FLAGGER_WEBHOOK_TOKEN: Match.anyValue() }) },
    });
  });

  it('gives the Flagger function no Slack secrets', () => {
    const flagger = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Timeout: 9 } }),
    )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(Object.keys(flagger.Properties.Environment.Variables).sort()).toEqual(
      ['FLAGGER_WEBHOOK_TOKEN', 'NODE_OPTIONS', 'QUEUE_URL', 'RELEASE_BOT_CONFIG', 'TABLE_NAME'].sort(),
    );
  });

  it('routes POST /flagger/{hook} and POST /slack/events', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /flagger/{hook}' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /slack/events' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
  });

  it('gives the chart-drawing worker more memory than the request handlers', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 60, MemorySize: 1024 });
  });

  it('feeds the worker from the queue, reporting partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('lets the worker describe exactly the EKS clusters the configuration names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-bot-stack-'));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      'clusters:\n  prod: { region: eu-west-1, name: prod-eks }\nservices:\n  production/web: { channel: C0WEB00001, cluster: prod }\n',
    );

    const policies = JSON.stringify(synth(configFile).findResources('AWS::IAM::Policy'));

    expect(policies).toContain('eks:DescribeCluster');
    expect(policies).toContain(':eks:eu-west-1:');
    expect(policies).toContain(':cluster/prod-eks');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('eks:DescribeCluster');
  });

  it('lets only the Flagger and Slack functions send to the queue', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const senders = Object.entries(policies).filter(([, p]) => JSON.stringify(p).includes('sqs:SendMessage'));
    expect(senders.map(([id]) => id.replace(/ServiceRoleDefaultPolicy.*/, '')).sort()).toEqual(['Flagger', 'Slack']);
  });
});
