import { type Dynalite, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { createTable } from '../../shared/adapters/dynamo-store';
import { payload, TEST_CONFIG } from '../../testkit/bot';
import { FakeAws } from '../../testkit/fake-aws';
import { FakeSlack } from '../../testkit/fake-slack';
import { sign, slashCommand } from '../../testkit/slack-requests';
import { FakeSqs } from '../support/fake-sqs';
import { httpEvent, LambdaHost } from '../support/lambda-host';

type HttpAnswer = { statusCode: number; body: string };

const FLAGGER_SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:Test/flagger-AbCdEf';
const SLACK_SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:Test/slack-AbCdEf';
const CURRENT = 'new-flagger-token-0123456789';
const PREVIOUS = 'old-flagger-token-0123456789';
const SIGNING = 'signing-secret-from-secrets-manager';

/**
 * The bundles as the stack configures them: no secret and no configuration in the environment, only where to read
 * them. Secrets Manager and AppConfig are a fake on loopback (AWS itself is the only thing faked); DynamoDB is
 * dynalite, the rest as in lambda-bundles.test.ts.
 */
describe('Lambda bundles: secrets and configuration read at run time', () => {
  const aws = new FakeAws();
  const slack = new FakeSlack();
  const sqs = new FakeSqs();
  const good = new LambdaHost('lambda-parameters');
  const broken = new LambdaHost('lambda-parameters');
  let dynalite: Dynalite;

  beforeAll(async () => {
    await LambdaHost.bundle('lambda-parameters');
    dynalite = await startDynalite();
    await createTable(dynamoClient(dynalite.endpoint), 'release-bot');
    const endpoint = await aws.start();
    aws.secrets.set(
      FLAGGER_SECRET,
      JSON.stringify({ FLAGGER_WEBHOOK_TOKEN: CURRENT, FLAGGER_WEBHOOK_TOKEN_PREVIOUS: PREVIOUS }),
    );
    aws.secrets.set(
      SLACK_SECRET,
      JSON.stringify({ SLACK_SIGNING_SECRET: SIGNING, SLACK_BOT_TOKEN: 'xoxb-from-secret' }),
    );
    aws.configs.set('bot/prod/config', TEST_CONFIG);
    aws.configs.set('bot/prod/broken', 'services:\n  production/web: { channel: general }\n');
    const sqsUrl = await sqs.start();
    const env = (profile: string) => ({
      RELEASE_BOT_APPCONFIG: `bot/prod/${profile}`,
      FLAGGER_SECRET_ARN: FLAGGER_SECRET,
      SLACK_SECRET_ARN: SLACK_SECRET,
      TABLE_NAME: 'release-bot',
      QUEUE_URL: `${sqsUrl}/000000000000/release-bot-jobs.fifo`,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsUrl,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_APPCONFIGDATA: endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const slackUrl = await slack.start();
    good.start({ ...env('config'), SLACK_API_URL: slackUrl });
    broken.start({ ...env('broken'), SLACK_API_URL: slackUrl });
  }, 60_000);

  afterAll(async () => {
    good.stop();
    broken.stop();
    await Promise.all([aws.stop(), slack.stop(), sqs.stop(), dynalite.close()]);
  });

  const hook = (host: LambdaHost, token: string) =>
    host.invoke<HttpAnswer>(
      'flagger',
      httpEvent(
        '/flagger/confirm-promotion',
        JSON.stringify({ ...payload('Progressing', 'rev-1'), metadata: { token } }),
        { 'content-type': 'application/json' },
      ),
    );

  it('takes the Flagger token and the services from Secrets Manager and AppConfig, reading each once', async () => {
    // Act
    const first = await hook(good, CURRENT);
    const again = await hook(good, CURRENT);

    // Assess: the service exists only in the AppConfig version, so a gate answer proves that is what was read
    expect(first.statusCode).toBe(403);
    expect(first.body).toContain('waiting for approval');
    expect(again.statusCode).toBe(403);
    expect(aws.calls.filter((c) => c === `GetSecretValue ${FLAGGER_SECRET}`)).toHaveLength(1);
    expect(aws.calls.filter((c) => c.startsWith('StartConfigurationSession bot/prod/config'))).toHaveLength(1);
  });

  it('accepts the previous Flagger token during a rotation, and no other', async () => {
    const previous = await hook(good, PREVIOUS);
    const wrong = await hook(good, 'some-other-token-0123456789');

    expect(previous.body).toContain('waiting for approval');
    expect(wrong.statusCode).toBe(401);
  });

  it('verifies Slack requests with the signing secret from Secrets Manager', async () => {
    const signed = sign(slashCommand('list', 'U0APPROVER1'), SIGNING);
    const forged = sign(slashCommand('list', 'U0APPROVER1'), 'not-the-signing-secret');

    const ok = await good.invoke<HttpAnswer>('slack', httpEvent('/slack/events', signed.body, signed.headers));
    const refused = await good.invoke<HttpAnswer>('slack', httpEvent('/slack/events', forged.body, forged.headers));

    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('production/product-service');
    expect(refused.statusCode).toBe(401);
  });

  it('refuses with a sentence and counts an internal failure when the configuration version is invalid', async () => {
    const answer = await hook(broken, CURRENT);

    expect(answer.statusCode).toBe(403);
    expect(answer.body).toMatch(
      /^release-bot cannot load its configuration or token \(AppConfig bot\/prod\/broken is not a valid/,
    );
    expect(answer.body).toContain('the gate stays closed');
    // The EMF line CloudWatch turns into the metric the FlaggerFailures alarm watches
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(broken.stdout).toMatch(/"FlaggerInternalFailures":1/);
    // And the failure itself, as one JSON line of Powertools Logger with its stack
    const logged = broken.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        service: 'release-bot',
        route: 'flagger',
        correlation_id: expect.any(String),
        error: expect.objectContaining({ stack: expect.stringContaining('is not a valid release-bot configuration') }),
      }),
    );
  });
});
