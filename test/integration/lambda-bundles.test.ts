import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dynalite, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { createTable } from '../../shared/adapters/dynamo-store';
import { ACTIONS } from '../../shared/slack/blocks';
import { FLAGGER_TOKEN, payload, SIGNING_SECRET, TEST_CONFIG } from '../../testkit/bot';
import { FakeSlack } from '../../testkit/fake-slack';
import { buttonClick, sign } from '../../testkit/slack-requests';
import { FakeSqs } from '../support/fake-sqs';
import { httpEvent, LambdaHost } from '../support/lambda-host';

type HttpAnswer = { statusCode: number; body: string };

describe('Lambda bundles: the deployed code path, end to end', () => {
  const host = new LambdaHost();
  const slack = new FakeSlack();
  const sqs = new FakeSqs();
  let dynalite: Dynalite;

  beforeAll(async () => {
    await LambdaHost.bundle();
    dynalite = await startDynalite();
    await createTable(dynamoClient(dynalite.endpoint), 'release-bot');
    const config = join(tmpdir(), `release-bot-lambda-${process.pid}.yaml`);
    writeFileSync(config, TEST_CONFIG);
    const sqsUrl = await sqs.start();
    host.start({
      RELEASE_BOT_CONFIG: config,
      TABLE_NAME: 'release-bot',
      QUEUE_URL: `${sqsUrl}/000000000000/release-bot-jobs.fifo`,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsUrl,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      FLAGGER_WEBHOOK_TOKEN: FLAGGER_TOKEN,
      ALERTMANAGER_TOKEN: 'alertmanager-bundle-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: await slack.start(),
    });
  }, 60_000);

  afterAll(async () => {
    host.stop();
    await Promise.all([slack.stop(), sqs.stop(), dynalite.close()]);
  });

  const flagger = (hook: string, body: unknown) =>
    host.invoke<HttpAnswer>(
      'flagger',
      httpEvent(`/flagger/${hook}`, JSON.stringify(body), { 'content-type': 'application/json' }),
    );
  const work = async () => {
    const event = sqs.takeEvent();
    const result = await host.invoke<{ batchItemFailures: unknown[] }>('worker', event);
    return { jobs: event.Records.length, failures: result.batchItemFailures };
  };

  it('refuses, posts the request through SQS and the worker, takes a signed click, then opens', async () => {
    // Act 1: Flagger asks; the worker drains the queue
    const first = await flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const queued = sqs.messages.map((m) => m.groupId);
    const drained = await work();

    expect(first.statusCode).toBe(403);
    expect(first.body).toContain('waiting for approval');
    expect(queued.every((g) => g === 'production/product-service')).toBe(true);
    expect(drained).toEqual({ jobs: queued.length, failures: [] });
    const request = slack
      .called('chat.postMessage')
      .find((c) => JSON.stringify(c.args.blocks ?? []).includes(ACTIONS.approve));
    expect(request?.args.channel).toBe('C0RELEASES1');

    // Act 2: a click, as API Gateway delivers form posts (base64), with a non-ASCII name in the payload
    const value = JSON.stringify({ s: 'production/product-service', r: 1, g: 'confirm-promotion', a: 1 });
    const signed = sign(
      buttonClick(ACTIONS.approve, value, 'U0APPROVER1').replace('approval%20request', 'Zo%C3%AB'),
      SIGNING_SECRET,
    );
    const click = await host.invoke<HttpAnswer>('slack', httpEvent('/slack/events', signed.body, signed.headers, true));
    await work();
    const second = await flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    expect(click.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(String(slack.called('chat.postEphemeral').at(-1)?.args.text)).toContain('Approved: Flagger may now promote');
  });

  it('answers bad input from the bundles with sentences, not crashes', async () => {
    const unsigned = await host.invoke<HttpAnswer>('slack', httpEvent('/slack/events', 'command=%2Fcanary', {}));
    const noToken = await flagger('rollback', { ...payload('Progressing', 'rev-1'), metadata: {} });

    expect(unsigned.statusCode).toBe(401);
    expect(noToken.statusCode).toBe(401);
    expect(noToken.body).toContain('Missing or wrong token');
  });

  it('answers Alertmanager from its own small bundle: no Slack, no client-node', async () => {
    const sources: string[] = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '.build', 'lambda-test', 'alertmanager.js.map'), 'utf8'),
    ).sources;
    expect(sources.some((s) => s.includes('shared/usecases/alerts'))).toBe(true);
    expect(sources.filter((s) => /@slack\/|@kubernetes\/client-node|shared\/slack\//.test(s))).toEqual([]);
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
          fingerprint: 'bundle1',
        },
      ],
    };
    const post = (token: string) =>
      host.invoke<HttpAnswer>(
        'alertmanager',
        httpEvent('/alertmanager', JSON.stringify(notification), { authorization: `Bearer ${token}` }),
      );
    const wrong = await post('wrong-token-value');
    expect(wrong.statusCode).toBe(401);
    const answer = await post('alertmanager-bundle-token');
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body).alerts[0]).toMatchObject({
      fingerprint: 'bundle1',
      service: 'production/product-service',
    });
  });
});
