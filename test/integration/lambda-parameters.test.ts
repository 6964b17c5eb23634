import { type Dynalite, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { createTable } from '../../shared/adapters/dynamo-store';
import { payload, TEST_CONFIG } from '../../testkit/bot';
import { FakeExtensions } from '../../testkit/fake-extensions';
import { FakeSlack } from '../../testkit/fake-slack';
import { sign, slashCommand } from '../../testkit/slack-requests';
import { FakeSqs } from '../support/fake-sqs';
import { httpEvent, LambdaHost } from '../support/lambda-host';

type HttpAnswer = { statusCode: number; body: string };

const FLAGGER_SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:Test/flagger-AbCdEf';
const SLACK_SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:Test/slack-AbCdEf';
const ALERTMANAGER_SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:Test/alertmanager-AbCdEf';
/** The secret the rotation test changes, so the other tests' containers never see a rotation. */
const ROTATED_SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:Test/rotated-AbCdEf';
const CURRENT = 'new-flagger-token-0123456789';
const PREVIOUS = 'old-flagger-token-0123456789';
const SIGNING = 'signing-secret-from-secrets-manager';

/**
 * The bundles as the stack configures them: no secret and no configuration in the environment, only where to read
 * them. The Lambda extensions that read Secrets Manager and AppConfig for the functions are a fake on loopback (AWS
 * itself is the only thing faked); DynamoDB is dynalite, the rest as in lambda-bundles.test.ts.
 */
describe('Lambda bundles: secrets and configuration read at run time', () => {
  const extensions = new FakeExtensions();
  const slack = new FakeSlack();
  const sqs = new FakeSqs();
  const good = new LambdaHost('lambda-parameters');
  const broken = new LambdaHost('lambda-parameters');
  // Containers whose clock the tests move: one sees a secret rotated, the other new configuration versions.
  const rotating = new LambdaHost('lambda-parameters');
  const reconfigured = new LambdaHost('lambda-parameters');
  // A container whose extensions go down and come back.
  const flakyExtensions = new FakeExtensions();
  const flaky = new LambdaHost('lambda-parameters');
  let dynalite: Dynalite;

  beforeAll(async () => {
    await LambdaHost.bundle('lambda-parameters');
    dynalite = await startDynalite();
    await createTable(dynamoClient(dynalite.endpoint), 'release-bot');
    const port = String(await extensions.start());
    extensions.secrets.set(
      FLAGGER_SECRET,
      JSON.stringify({ FLAGGER_WEBHOOK_TOKEN: CURRENT, FLAGGER_WEBHOOK_TOKEN_PREVIOUS: PREVIOUS }),
    );
    extensions.secrets.set(
      SLACK_SECRET,
      JSON.stringify({ SLACK_SIGNING_SECRET: SIGNING, SLACK_BOT_TOKEN: 'xoxb-from-secret' }),
    );
    extensions.secrets.set(
      ALERTMANAGER_SECRET,
      JSON.stringify({
        ALERTMANAGER_TOKEN: 'new-alertmanager-token',
        ALERTMANAGER_TOKEN_PREVIOUS: 'old-alertmanager-token',
      }),
    );
    extensions.secrets.set(ROTATED_SECRET, JSON.stringify({ FLAGGER_WEBHOOK_TOKEN: PREVIOUS }));
    extensions.configs.set('bot/prod/config', TEST_CONFIG);
    extensions.configs.set('bot/prod/versions', TEST_CONFIG);
    extensions.configs.set('bot/prod/broken', 'services:\n  production/web: { channel: general }\n');
    const sqsUrl = await sqs.start();
    const env = (profile: string) => ({
      RELEASE_BOT_APPCONFIG: `bot/prod/${profile}`,
      FLAGGER_SECRET_ARN: FLAGGER_SECRET,
      SLACK_SECRET_ARN: SLACK_SECRET,
      ALERTMANAGER_SECRET_ARN: ALERTMANAGER_SECRET,
      TABLE_NAME: 'release-bot',
      QUEUE_URL: `${sqsUrl}/000000000000/release-bot-jobs.fifo`,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsUrl,
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: port,
      AWS_APPCONFIG_EXTENSION_HTTP_PORT: port,
      AWS_SESSION_TOKEN: extensions.sessionToken,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const slackUrl = await slack.start();
    good.start({ ...env('config'), SLACK_API_URL: slackUrl });
    broken.start({ ...env('broken'), SLACK_API_URL: slackUrl });
    rotating.start({ ...env('config'), FLAGGER_SECRET_ARN: ROTATED_SECRET, SLACK_API_URL: slackUrl });
    reconfigured.start({ ...env('versions'), SLACK_API_URL: slackUrl });
    const flakyPort = String(await flakyExtensions.start());
    for (const [arn, value] of extensions.secrets) flakyExtensions.secrets.set(arn, value);
    flakyExtensions.configs.set('bot/prod/config', TEST_CONFIG);
    flaky.start({
      ...env('config'),
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: flakyPort,
      AWS_APPCONFIG_EXTENSION_HTTP_PORT: flakyPort,
      AWS_SESSION_TOKEN: flakyExtensions.sessionToken,
      SLACK_API_URL: slackUrl,
    });
  }, 60_000);

  afterAll(async () => {
    good.stop();
    broken.stop();
    rotating.stop();
    reconfigured.stop();
    flaky.stop();
    await Promise.all([extensions.stop(), flakyExtensions.stop(), slack.stop(), sqs.stop(), dynalite.close()]);
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
    expect(extensions.calls.filter((c) => c === `secret ${FLAGGER_SECRET}`)).toHaveLength(1);
    expect(extensions.calls.filter((c) => c === 'configuration bot/prod/config')).toHaveLength(1);
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

  // The extension caches the secret for 240 s more (the stack sets it), which is its own behaviour, not tested here.
  it('picks up a rotated Flagger token once the 60 s cache age has passed, with no redeploy or restart', async () => {
    // Arrange: the container has read the token in force
    expect((await hook(rotating, PREVIOUS)).body).toContain('waiting for approval');

    // Act: the operator rotates (new token, the old one as _PREVIOUS)
    extensions.secrets.set(
      ROTATED_SECRET,
      JSON.stringify({ FLAGGER_WEBHOOK_TOKEN: CURRENT, FLAGGER_WEBHOOK_TOKEN_PREVIOUS: PREVIOUS }),
    );
    await rotating.advanceClock(55);
    const cached = await hook(rotating, CURRENT);
    await rotating.advanceClock(10);
    const rotated = await hook(rotating, CURRENT);
    const old = await hook(rotating, PREVIOUS);
    // and drops the old token once the Canaries send the new one
    extensions.secrets.set(ROTATED_SECRET, JSON.stringify({ FLAGGER_WEBHOOK_TOKEN: CURRENT }));
    await rotating.advanceClock(61);
    const dropped = await hook(rotating, PREVIOUS);

    // Assess: inside the cache age the old secret still holds; after it, each put is in force
    expect(cached.statusCode).toBe(401);
    expect(rotated.body).toContain('waiting for approval');
    expect(old.body).toContain('waiting for approval');
    expect(dropped.statusCode).toBe(401);
    expect(extensions.calls.filter((c) => c === `secret ${ROTATED_SECRET}`)).toHaveLength(3);
  });

  it('accepts the previous Alertmanager token during a rotation, and no other', async () => {
    const notification = {
      version: '4',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'CanaryErrorRate', namespace: 'production', canary: 'product-service' },
          annotations: {},
          startsAt: '2026-12-03T10:00:00.123456789Z',
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'rotation1',
        },
      ],
    };
    const post = (token: string) =>
      good.invoke<HttpAnswer>(
        'alertmanager',
        httpEvent('/alertmanager', JSON.stringify(notification), { authorization: `Bearer ${token}` }),
      );

    const current = await post('new-alertmanager-token');
    const previous = await post('old-alertmanager-token');
    const wrong = await post('some-other-alertmanager-token');

    expect(current.statusCode).toBe(200);
    expect(JSON.parse(current.body).alerts[0]).toMatchObject({ fingerprint: 'rotation1' });
    expect(previous.statusCode).toBe(200);
    expect(wrong.statusCode).toBe(401);
    expect(extensions.calls.filter((c) => c === `secret ${ALERTMANAGER_SECRET}`)).toHaveLength(1);
  });

  it('keeps the last good configuration when a new version is invalid, and takes the next valid one', async () => {
    const polls = () => extensions.calls.filter((c) => c === 'configuration bot/prod/versions').length;
    expect((await hook(reconfigured, CURRENT)).body).toContain('waiting for approval');
    const before = polls();

    // Act: an invalid version is deployed, then, after the cache age, a valid one without the service
    extensions.configs.set('bot/prod/versions', 'services:\n  production/product-service: { channel: general }\n');
    await reconfigured.advanceClock(16);
    const kept = await hook(reconfigured, CURRENT);
    extensions.configs.set('bot/prod/versions', 'services:\n  production/other-service: { channel: C0OTHER0001 }\n');
    await reconfigured.advanceClock(16);
    const next = await hook(reconfigured, CURRENT);

    // Assess: the bad version was read and rejected (logged), the gate still served from the last good one
    expect(polls()).toBe(before + 2);
    expect(kept.statusCode).toBe(403);
    expect(kept.body).toContain('waiting for approval');
    expect(reconfigured.stderr).toContain('new configuration version rejected; keeping the last good one');
    expect(next.body).toContain('production/product-service is not configured in release-bot');
  });

  it('answers 403 with a sentence while the extensions are down, and keeps what it read when a refresh fails', async () => {
    // Arrange: a cold container whose extensions cannot reach AWS
    flakyExtensions.down = true;
    const cold = await hook(flaky, CURRENT);
    // they come back; the container reads both
    flakyExtensions.down = false;
    const up = await hook(flaky, CURRENT);
    // they go down again, after both cache ages
    flakyExtensions.down = true;
    await flaky.advanceClock(61);
    const stale = await hook(flaky, CURRENT);

    // Assess: never a 5xx; the gate stays closed with a reason, then answers from what was last read
    expect(cold.statusCode).toBe(403);
    expect(cold.body).toMatch(
      /^release-bot cannot load its configuration or token \(cannot read (AppConfig bot\/prod\/config|the secret \S+) from its Lambda extension: HTTP 503 the extension cannot reach AWS\); the gate stays closed\n$/,
    );
    expect(up.body).toContain('waiting for approval');
    expect(stale.statusCode).toBe(403);
    expect(stale.body).toContain('waiting for approval');
    expect(flaky.stderr).toContain('refresh failed; keeping the value last read');
  });
});
