import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { configFile, functionOf, synth } from './synth';

const INFRA = join(__dirname, '../../infra');

describe('Class: ReleaseBotStack', () => {
  const { template } = synth();

  it('passes cdk-nag AwsSolutions, each acknowledgement with a reason', () => {
    // synth() above threw on any unacknowledged finding; every acknowledgement in infra/ must say why, in words.
    const sources = readdirSync(INFRA).map((f) => readFileSync(join(INFRA, f), 'utf8'));
    const blocks = sources.flatMap((s) => s.split('.acknowledge({').slice(1));
    expect(blocks.length).toBeGreaterThan(3);
    for (const block of blocks) expect(block).toMatch(/^\s*id: [^\n]+\n\s*reason:\s*['"`][^\n]{40,}/);
  });

  it('keeps state in one DynamoDB table with pk/sk, point-in-time recovery, a stream, retained on delete', () => {
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
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      }),
    });
  });

  it('runs four arm64 Node.js 22 functions with source maps, X-Ray and a month of logs', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
      },
    });
    expect(Object.keys(functions)).toHaveLength(4);
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 4);
  });

  it('times the Flagger function inside its 10 s webhook timeout and the Slack one near its 3 s', () => {
    expect(functionOf(template, 'Flagger').Properties.Timeout).toBe(9);
    expect(functionOf(template, 'Slack').Properties.Timeout).toBe(5);
    expect(functionOf(template, 'Worker').Properties).toMatchObject({ Timeout: 60, MemorySize: 1024 });
    // Alertmanager's webhook timeout is 10 s by default.
    expect(functionOf(template, 'Alertmanager').Properties.Timeout).toBe(9);
  });

  const variablesOf = (fn: Parameters<typeof functionOf>[1]) =>
    (functionOf(template, fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

  it('puts no secret and no configuration in any environment, only where to read them', () => {
    // The extensions' own settings aside (next test)
    const vars = (fn: 'Flagger' | 'Slack' | 'Worker' | 'Alertmanager') =>
      Object.keys(variablesOf(fn))
        .filter((v) => !/^(PARAMETERS_SECRETS_EXTENSION|SECRETS_MANAGER|SSM_PARAMETER_STORE|AWS_APPCONFIG)_/.test(v))
        .sort();
    const common = ['NODE_OPTIONS', 'QUEUE_URL', 'RELEASE_BOT_APPCONFIG', 'TABLE_NAME'];
    expect(vars('Flagger')).toEqual([...common, 'FLAGGER_SECRET_ARN'].sort());
    expect(vars('Slack')).toEqual([...common, 'SLACK_SECRET_ARN'].sort());
    expect(vars('Worker')).toEqual([...common, 'SLACK_SECRET_ARN'].sort());
    expect(vars('Alertmanager')).toEqual([...common, 'ALERTMANAGER_SECRET_ARN'].sort());
    expect(JSON.stringify(template.toJSON())).not.toMatch(/resolve:secretsmanager/);
  });

  it('reads secrets and the configuration through the Parameters and Secrets extension and the AppConfig agent', () => {
    for (const fn of ['Flagger', 'Slack', 'Worker', 'Alertmanager'] as const) {
      const layers = JSON.stringify(functionOf(template, fn).Properties.Layers);
      expect(layers).toContain('"AppConfigAgentLayers"');
      expect(layers).toMatch(/"ParamsandsecretslayerMap".*arm64/);
      // 240 s in the extension and 60 s in the function: a rotated secret is in force within 5 minutes
      expect(variablesOf(fn)).toMatchObject({
        SECRETS_MANAGER_TTL: '240',
        AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS: '45',
        AWS_APPCONFIG_EXTENSION_PREFETCH_LIST: {
          'Fn::Join': ['', expect.arrayContaining(['/applications/', '/environments/', '/configurations/'])],
        },
      });
    }
    // The agent's arm64 layer in every region CDK knows it in, chosen at deploy time
    const agents = template.toJSON().Mappings.AppConfigAgentLayers as Record<string, { arn: string }>;
    expect(agents['eu-west-1']?.arn).toMatch(
      /^arn:aws:lambda:eu-west-1:\d{12}:layer:AWS-AppConfig-Extension-Arm64:\d+$/,
    );
    expect(Object.keys(agents).length).toBeGreaterThan(20);
  });

  it('routes POST /flagger/{hook} and POST /slack/events, throttled per route, with access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /flagger/{hook}' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /slack/events' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /alertmanager' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: {
        'POST /flagger/{hook}': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        'POST /slack/events': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 50 },
        'POST /alertmanager': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 50 },
      },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
  });

  it('keeps a job invisible 6 x the worker timeout, dead-letters it after 5 attempts, feeds the worker by group', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      VisibilityTimeout: 360,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasOutput('RedriveCommand', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('start-message-move-task --source-arn')])] },
    });
  });

  it('alarms on dead letters, job age, errors, throttles and Flagger-path failures, to one encrypted topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { MetricName?: string; Metrics?: unknown[]; AlarmActions: unknown[] };
    }[];
    const names = alarms.map((a) => a.Properties.MetricName ?? 'expression').sort();
    expect(names).toEqual(
      [
        'ApproximateAgeOfOldestMessage',
        'ApproximateNumberOfMessagesVisible',
        ...['Errors', 'Throttles'].flatMap((m) => [m, m, m, m]),
        'AlertmanagerInternalFailures',
        'expression',
      ].sort(),
    );
    expect(alarms.every((a) => a.Properties.AlarmActions.length === 1)).toBe(true);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.msg = "hook failed" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'ReleaseBot' })],
    });
    template.hasOutput('AlarmTopicArn', {});
  });

  it('outputs every Flagger hook URL, the Slack request URL and the worker role ARN', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.filter((o) => o.startsWith('FlaggerHook'))).toHaveLength(8);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'FlaggerHookConfirmPromotion',
        'SlackRequestUrl',
        'WorkerRoleArn',
        'AlertmanagerUrl',
        'AlertmanagerSecretArn',
      ]),
    );
    template.hasOutput('AlertmanagerUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['/alertmanager'])] } });
    template.hasOutput('FlaggerHookConfirmPromotion', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['/flagger/confirm-promotion'])] },
    });
  });

  it('keeps the configuration in AppConfig, from the file validated at synth', () => {
    template.hasResourceProperties('AWS::AppConfig::HostedConfigurationVersion', {
      ContentType: 'application/x-yaml',
      Content: Match.stringLikeRegexp('production/product-service'),
    });
    template.resourceCountIs('AWS::AppConfig::Deployment', 1);
  });

  it('fails synth on a bad configuration with the same sentences as npm start', () => {
    const bad = configFile('services:\n  production/web: { channel: general, quorum: 0 }\n');
    expect(() => synth({ configFile: bad })).toThrow(
      /is not a valid release-bot configuration:\n {2}- services\.production\/web\.quorum \(line 2\)/,
    );
  });

  it('fails synth on bad context with a sentence naming the setting', () => {
    expect(() => synth({ vpcId: 'vpc-0123abcd' })).toThrow(/vpcId and subnetIds go together/);
    expect(() => synth({ alarmEmail: 'nobody' })).toThrow(/alarmEmail is an e-mail address/);
  });

  it('exports audit items only to an Object Lock bucket in compliance mode, out of the functions reach', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
    });
    const pipe = Object.values(template.findResources('AWS::Pipes::Pipe'))[0] as {
      Properties: { SourceParameters: { FilterCriteria: { Filters: { Pattern: string }[] } } };
    };
    expect(JSON.parse(pipe.Properties.SourceParameters.FilterCriteria.Filters[0]?.Pattern ?? '{}')).toEqual({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { Keys: { sk: { S: [{ prefix: 'AUDIT#' }, { prefix: 'ATTEMPT#' }] } } },
    });
    const policies = JSON.stringify(
      template.findResources('AWS::IAM::Policy', {
        Properties: { PolicyName: Match.stringLikeRegexp('^(Flagger|Slack|Worker)') },
      }),
    );
    expect(policies).not.toMatch(/s3:/);
  });
});

describe('A custom domain', () => {
  const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555';
  const { template } = synth({ domainName: 'bot.example.com', certificateArn: CERTIFICATE });

  it('maps the API to the domain with its certificate, and outputs the target to CNAME it to', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'bot.example.com',
      DomainNameConfigurations: [Match.objectLike({ CertificateArn: CERTIFICATE, EndpointType: 'REGIONAL' })],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      DomainName: { Ref: Match.stringLikeRegexp('^ApiDomain') },
      Stage: '$default',
    });
    template.hasOutput('DomainTarget', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiDomain'), 'RegionalDomainName'] },
    });
  });

  it('gives the URLs to paste on the domain, not the execute-api endpoint', () => {
    template.hasOutput('FlaggerHookConfirmPromotion', { Value: 'https://bot.example.com/flagger/confirm-promotion' });
    template.hasOutput('SlackRequestUrl', { Value: 'https://bot.example.com/slack/events' });
    template.hasOutput('AlertmanagerUrl', { Value: 'https://bot.example.com/alertmanager' });
  });

  it('has no domain, and no DomainTarget output, when none is given', () => {
    const plain = synth().template;
    plain.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    expect(Object.keys(plain.findOutputs('DomainTarget'))).toEqual([]);
  });
});
