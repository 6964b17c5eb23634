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
const ALL = ['Flagger', 'Alertmanager', 'Slack', 'Worker'] as const;

describe('Least privilege', () => {
  const { template } = synth();

  it('grants each function only the DynamoDB calls the store makes, on the table alone', () => {
    for (const fn of ALL) {
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

  it('lets the Flagger, Alertmanager and Slack functions only send to the queue, and the worker only consume it', () => {
    for (const fn of ['Flagger', 'Alertmanager', 'Slack'] as const) {
      const sqs = statementsOf(template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('sqs:')));
      expect(actionsOf(sqs)).toEqual(['sqs:SendMessage']);
      expect(sqs[0]?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Jobs[0-9A-F]/), 'Arn'] });
    }
    const worker = actionsOf(statementsOf(template, 'Worker')).filter((a) => a.startsWith('sqs:'));
    expect(worker).toContain('sqs:ReceiveMessage');
    expect(worker).not.toContain('sqs:SendMessage');
  });

  it('gives each function read access to its own secret only', () => {
    const secretsOf = (fn: (typeof ALL)[number]) =>
      statementsOf(template, fn)
        .filter((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'))
        .map((s) => JSON.stringify(s.Resource));
    expect(secretsOf('Flagger')).toEqual([expect.stringMatching(/FlaggerSecret/)]);
    expect(secretsOf('Alertmanager')).toEqual([expect.stringMatching(/AlertmanagerSecret/)]);
    expect(secretsOf('Slack')).toEqual([expect.stringMatching(/SlackSecret/)]);
    expect(secretsOf('Worker')).toEqual([expect.stringMatching(/SlackSecret/)]);
  });

  it('lets functions read the one AppConfig profile, and write only their own log group', () => {
    for (const fn of ALL) {
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
    for (const fn of ALL) {
      const wild = statementsOf(template, fn).filter((s) => s.Resource === '*');
      expect(actionsOf(wild)).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('gives the Alertmanager function only what its handler uses: the store, the queue, its secret, the config', () => {
    // functions/alertmanager reads no metrics, no Slack and no cluster: the runbook it queues runs in the worker.
    const prefixes = [...new Set(actionsOf(statementsOf(template, 'Alertmanager')).map((a) => a.split(':')[0]))];
    expect(prefixes.sort()).toEqual(['appconfig', 'dynamodb', 'logs', 'secretsmanager', 'sqs', 'xray']);
    expect(actionsOf(statementsOf(template, 'Alertmanager')).filter((a) => a.startsWith('secretsmanager:'))).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
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
    expect(JSON.stringify(statementsOf(template, 'Alertmanager'))).not.toMatch(/aps:|eks:|ec2:/);
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

describe('A Prometheus inside the cluster, reached from the VPC', () => {
  const IN_CLUSTER = `
prometheus: { url: "http://prometheus.istio-system:9090" }
services:
  production/web: { channel: C0WEB00001 }
`;
  const { template } = synth({ configFile: configFile(IN_CLUSTER), ...VPC });

  it('opens egress on 443 and the Prometheus port 9090 only, for each function in the VPC', () => {
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as {
      Properties: { SecurityGroupEgress: { CidrIp: string; FromPort: number; ToPort: number; IpProtocol: string }[] };
    }[];
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      const rules = group.Properties.SecurityGroupEgress.map((r) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort}`);
      expect(rules.sort()).toEqual(['tcp 443-443', 'tcp 9090-9090']);
    }
    expect(JSON.stringify(template.findResources('AWS::EC2::SecurityGroupEgress'))).toBe('{}');
  });

  it('grants no Amazon Managed Prometheus query for a Prometheus that is not AMP', () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('aps:');
  });
});
