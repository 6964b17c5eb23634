import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { TABLE_ACTIONS } from '../../infra/release-bot-stack';
import { actionsOf, configFile, functionOf, statementsOf, synth } from './synth';

const EKS_CONFIG = `
prometheus: { url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234abcd-12ab-34cd-56ef-1234567890ab" }
clusters:
  prod: { region: eu-west-1, name: prod-eks }
  us: { region: us-east-1, name: us-eks }
services:
  production/web: { channel: C0WEB00001, cluster: prod }
`;
const VPC = { vpcId: 'vpc-0123abcd', subnetIds: 'subnet-0123abcd,subnet-0456abcd' };

describe('Least privilege', () => {
  const { template } = synth();

  it('grants each function only the DynamoDB calls the store makes, on the table alone', () => {
    for (const fn of ['Flagger', 'Slack', 'Worker'] as const) {
      const dynamo = statementsOf(template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      expect(actionsOf(dynamo)).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ]);
      expect(dynamo[0]?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^State/), 'Arn'] });
    }
  });

  it('grants every DynamoDB command the table adapter sends (a new one must be granted, or Lambda is refused)', () => {
    const source = readFileSync(join(__dirname, '..', '..', 'shared', 'adapters', 'dynamo-table.ts'), 'utf8');
    const operations = {
      Get: 'GetItem',
      BatchGet: 'BatchGetItem',
      Put: 'PutItem',
      Update: 'UpdateItem',
      Query: 'Query',
      // The local outbox's only: the Lambda functions delete nothing.
      Delete: undefined,
    } as Record<string, string | undefined>;
    const sent = [...source.matchAll(/new (\w+)Command\(/g)].map((m) => m[1] ?? '');

    expect(sent.filter((name) => !(name in operations))).toEqual([]);
    const needed = sent.flatMap((name) => (operations[name] ? [`dynamodb:${operations[name]}`] : []));
    expect([...new Set(needed)].sort()).toEqual([...TABLE_ACTIONS].sort());
  });

  it('lets the Flagger and Slack functions only send to the queue, and the worker only consume it', () => {
    expect(actionsOf(statementsOf(template, 'Flagger')).filter((a) => a.startsWith('sqs:'))).toEqual([
      'sqs:SendMessage',
    ]);
    expect(actionsOf(statementsOf(template, 'Slack')).filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
    const worker = actionsOf(statementsOf(template, 'Worker')).filter((a) => a.startsWith('sqs:'));
    expect(worker).toContain('sqs:ReceiveMessage');
    expect(worker).not.toContain('sqs:SendMessage');
  });

  it('gives each function read access to its own secret only', () => {
    const secretsOf = (fn: 'Flagger' | 'Slack' | 'Worker') =>
      statementsOf(template, fn)
        .filter((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'))
        .map((s) => JSON.stringify(s.Resource));
    expect(secretsOf('Flagger')).toEqual([expect.stringMatching(/FlaggerSecret/)]);
    expect(secretsOf('Slack')).toEqual([expect.stringMatching(/SlackSecret/)]);
    expect(secretsOf('Worker')).toEqual([expect.stringMatching(/SlackSecret/)]);
  });

  it('lets functions read the one AppConfig profile, and write only their own log group', () => {
    for (const fn of ['Flagger', 'Slack', 'Worker'] as const) {
      const statements = statementsOf(template, fn);
      const appconfig = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('appconfig:')));
      expect(actionsOf(appconfig)).toEqual(['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession']);
      expect(JSON.stringify(appconfig[0]?.Resource)).toMatch(/configuration\//);
      const logs = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('logs:')));
      expect(JSON.stringify(logs.map((s) => s.Resource))).toContain(`${fn}Logs`);
    }
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    const roles = Object.values(template.findResources('AWS::IAM::Role')) as { Properties: object }[];
    expect(JSON.stringify(roles)).not.toContain('ManagedPolicyArns');
  });

  it('uses a wildcard resource only for X-Ray', () => {
    for (const fn of ['Flagger', 'Slack', 'Worker'] as const) {
      const wild = statementsOf(template, fn).filter((s) => s.Resource === '*');
      expect(actionsOf(wild)).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('grants no EKS access when no EKS cluster is configured', () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('eks:');
    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
  });
});

describe('EKS, Amazon Managed Prometheus and the VPC', () => {
  const { template } = synth({ configFile: configFile(EKS_CONFIG), ...VPC });

  it('lets the worker describe exactly the configured clusters', () => {
    const eks = statementsOf(template, 'Worker').filter((s) => actionsOf([s]).includes('eks:DescribeCluster'));
    const arns = JSON.stringify(eks.map((s) => s.Resource));
    expect(arns).toContain(':eks:eu-west-1:');
    expect(arns).toContain(':cluster/prod-eks');
    expect(arns).toContain(':eks:us-east-1:');
    expect(arns).toContain(':cluster/us-eks');
    expect(JSON.stringify(statementsOf(template, 'Flagger'))).not.toContain('eks:');
  });

  it('maps the worker role to group release-bot per cluster, no access policy, when in the stack region', () => {
    template.resourceCountIs('AWS::EKS::AccessEntry', 2);
    template.hasResource('AWS::EKS::AccessEntry', {
      Condition: Match.stringLikeRegexp('InRegionprod'),
      Properties: {
        ClusterName: 'prod-eks',
        KubernetesGroups: ['release-bot'],
        Type: 'STANDARD',
        PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerRole'), 'Arn'] },
      },
    });
    expect(JSON.stringify(template.findResources('AWS::EKS::AccessEntry'))).not.toContain('AccessPolicies');
    template.hasOutput('EksAccessCommandus', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('--cluster-name us-eks')])] },
    });
  });

  it('prints the access-entry command instead when told to', () => {
    const printed = synth({ configFile: configFile(EKS_CONFIG), eksAccess: 'print' }).template;
    printed.resourceCountIs('AWS::EKS::AccessEntry', 0);
    printed.hasOutput('EksAccessCommandprod', {});
  });

  it('lets the functions that read metrics query this AMP workspace only', () => {
    for (const fn of ['Flagger', 'Worker'] as const) {
      const aps = statementsOf(template, fn).filter((s) => actionsOf([s]).includes('aps:QueryMetrics'));
      expect(actionsOf(aps)).toEqual(['aps:QueryMetrics']);
      expect(JSON.stringify(aps[0]?.Resource)).toContain(':aps:eu-west-1:');
      expect(JSON.stringify(aps[0]?.Resource)).toContain(':workspace/ws-1234abcd-12ab-34cd-56ef-1234567890ab');
    }
    expect(JSON.stringify(statementsOf(template, 'Slack'))).not.toContain('aps:');
  });

  it('places the Flagger function and the worker in the given subnets, each with its own security group', () => {
    for (const fn of ['Flagger', 'Worker'] as const) {
      expect(functionOf(template, fn).Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-0123abcd', 'subnet-0456abcd'],
        SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${fn.toLowerCase()}Sg`)), 'GroupId'] }],
      });
    }
    expect(functionOf(template, 'Slack').Properties.VpcConfig).toBeUndefined();
    expect(functionOf(template, 'Alertmanager').Properties.VpcConfig).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroup', 2);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0123abcd',
      SecurityGroupEgress: [Match.objectLike({ FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
    });
    expect(JSON.stringify(template.findResources('AWS::EC2::SecurityGroup'))).not.toContain('SecurityGroupIngress');
  });

  it('gives the network-interface permissions only to the functions in the VPC', () => {
    expect(actionsOf(statementsOf(template, 'Worker'))).toContain('ec2:CreateNetworkInterface');
    expect(actionsOf(statementsOf(template, 'Slack'))).not.toContain('ec2:CreateNetworkInterface');
  });
});
