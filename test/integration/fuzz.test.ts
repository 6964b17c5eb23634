import fc from 'fast-check';
import { PHASES } from '../../shared/domain/flagger';
import { ACTIONS, REJECT_VIEW } from '../../shared/slack/blocks';
import { FLAGGER_TOKEN, type Harness, SIGNING_SECRET, startHarness } from '../../testkit/bot';
import { sign } from '../../testkit/slack-requests';
import { raw } from '../support/raw-http';

const RUNS = 150;

/** JSON that is sometimes a Flagger payload, sometimes nearly one, sometimes anything. */
const nearlyFlagger = fc.oneof(
  fc.record(
    {
      name: fc.oneof(fc.constant('product-service'), fc.string(), fc.integer()),
      namespace: fc.oneof(fc.constant('production'), fc.string()),
      phase: fc.oneof(fc.constantFrom(...PHASES), fc.string()),
      checksum: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      metadata: fc.oneof(
        fc.constant({ token: FLAGGER_TOKEN }),
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())).map((m) => ({ ...m, token: FLAGGER_TOKEN })),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

/** Sometimes a valid Slack ID, sometimes anything, sometimes missing. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const slackId = fc.oneof(fc.constantFrom('U0APPROVER1', 'U0NOBODY1', 'C0RELEASES1'), fc.string());
const user = maybe(fc.oneof(fc.record({ id: slackId }, { requiredKeys: [] }), fc.anything()));
const ref = fc.oneof(
  fc
    .record({
      s: fc.constantFrom('production/product-service', 'nope/nope'),
      r: fc.integer(),
      g: fc.constantFrom('confirm-promotion', 'confirm-rollout', 'x'),
      a: fc.integer(),
    })
    .map((r) => JSON.stringify(r)),
  fc.string(),
);

/** Every interactive payload type Slack sends, nearly right or wrong in any field. */
const interactivePayload = fc.oneof(
  fc.record(
    {
      type: fc.constant('block_actions'),
      user,
      channel: maybe(fc.oneof(fc.record({ id: slackId }), fc.constant(null), fc.anything())),
      trigger_id: maybe(fc.string()),
      actions: fc.oneof(
        fc.array(
          fc.record(
            { action_id: fc.oneof(fc.constantFrom(...Object.values(ACTIONS)), fc.string()), value: maybe(ref) },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
        fc.anything(),
      ),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constantFrom('view_submission', 'view_closed'),
      user,
      view: fc.oneof(
        fc.record(
          {
            callback_id: fc.oneof(fc.constant(REJECT_VIEW), fc.string()),
            private_metadata: fc.oneof(ref, fc.integer()),
            state: fc.oneof(
              fc.record({ values: fc.constant({ reason: { value: { type: 'plain_text_input', value: 'why' } } }) }),
              fc.record({ values: fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.anything())) }),
              fc.anything(),
            ),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.oneof(
        fc.constantFrom('shortcut', 'message_action', 'block_suggestion', 'interactive_message', 'dialog_submission'),
        fc.string(),
        fc.anything(),
      ),
      user,
      callback_id: maybe(fc.string()),
    },
    { requiredKeys: [] },
  ),
);

/** Events API bodies. */
const eventBody = fc.oneof(
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('url_verification', 'event_callback', 'app_rate_limited'), fc.string()),
      challenge: maybe(fc.oneof(fc.string(), fc.integer())),
      event: maybe(fc.anything()),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

/** Slash commands with any field missing, repeated or odd. */
const commandForm = fc
  .tuple(
    fc.record(
      {
        command: fc.oneof(fc.constant('/canary'), fc.string()),
        text: fc.oneof(fc.constantFrom('help', 'status product-service', 'approve product-service', ''), fc.string()),
        user_id: slackId,
        channel_id: slackId,
        ssl_check: fc.constant('1'),
      },
      { requiredKeys: [] },
    ),
    fc.array(fc.tuple(fc.constantFrom('user_id', 'text', 'command'), fc.string()), { maxLength: 1 }),
  )
  .map(([fields, extra]) => {
    const form = new URLSearchParams(fields);
    for (const [k, v] of extra) form.append(k, v);
    return form.toString();
  });

/** Request targets of every form: origin, absolute, asterisk, authority, and anything printable. */
const targetChars = fc.constantFrom(..."/%?#:[]@!$&'()*+,;=.-_~azAZ09".split(''));
const requestTarget = fc.oneof(
  fc.string({ unit: targetChars }).map((t) => `/${t}`),
  fc.string({ unit: targetChars }).map((t) => `/flagger/${t}`),
  fc.string({ unit: targetChars }).map((t) => `http://${t}`),
  fc.constantFrom('*', '//', 'http://[', '/%zz', '/flagger/%zz', 'example.com:443', ''),
  fc.string({ unit: targetChars }),
  fc.string({ minLength: 1 }).filter((t) => !/[\s\0]/.test(t)),
);

describe('Fuzz: no input makes an ingress answer 5xx or crash', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.stop();
  });

  it(`Flagger ingress: ${RUNS} generated payloads and paths`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom('confirm-rollout', 'rollback', 'event', 'confirm-promotion', 'post-rollout'),
          fc.string(),
        ),
        fc.oneof(
          nearlyFlagger.map((v) => JSON.stringify(v) ?? ''),
          fc.string(),
        ),
        async (hook, body) => {
          const res = await h.post(`/flagger/${encodeURIComponent(hook)}`, body, {
            'content-type': 'application/json',
          });
          expect(res.status).toBeLessThan(500);
          expect(res.text.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`Slack ingress: ${RUNS} generated bodies, signed and unsigned`, async () => {
    const slackBody = fc.oneof(
      fc.string(),
      fc.dictionary(fc.string(), fc.string()).map((d) => new URLSearchParams(d).toString()),
      fc.anything().map((v) => `payload=${encodeURIComponent(JSON.stringify(v) ?? '')}`),
      fc
        .record({
          command: fc.constant('/canary'),
          text: fc.string(),
          user_id: fc.constantFrom('U0APPROVER1', 'U0NOBODY1'),
        })
        .map((d) => new URLSearchParams(d).toString()),
    );
    await fc.assert(
      fc.asyncProperty(
        slackBody,
        fc.boolean(),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'),
        async (body, signed, type) => {
          const request = signed
            ? sign(body, SIGNING_SECRET, undefined, type)
            : { body, headers: { 'content-type': type } };
          const res = await h.post('/slack/events', request.body, request.headers);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
  });

  it(`Slack ingress: ${RUNS} signed payloads of every type Slack sends, each answered with a body`, async () => {
    const signedBody = fc.oneof(
      interactivePayload.map((p) => ({
        body: `payload=${encodeURIComponent(JSON.stringify(p))}`,
        type: 'application/x-www-form-urlencoded',
      })),
      commandForm.map((body) => ({ body, type: 'application/x-www-form-urlencoded' })),
      eventBody.map((e) => ({ body: JSON.stringify(e) ?? '', type: 'application/json' })),
    );
    await fc.assert(
      fc.asyncProperty(signedBody, async ({ body, type }) => {
        const request = sign(body, SIGNING_SECRET, undefined, type);
        const res = await h.post('/slack/events', request.body, request.headers);
        expect(res.status).toBeLessThan(500);
        expect(res.text.trim().length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it(`Any request target: ${RUNS} generated targets and methods, each answered below 500 with a body`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS', 'DELETE'),
        requestTarget,
        async (method, target) => {
          const res = await raw(
            h.bot.url,
            `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
          );
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(500);
          expect(res.body.trim().length).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS },
    );
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
  });

  it(`Alertmanager ingress: ${RUNS} generated and mutated notifications, with and without the token`, async () => {
    const alert = fc.record(
      {
        status: fc.oneof(fc.constantFrom('firing', 'resolved'), fc.string()),
        labels: fc.oneof(
          fc.constant({ alertname: 'A', namespace: 'production', canary: 'product-service', severity: 'critical' }),
          fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
          fc.anything(),
        ),
        annotations: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
        startsAt: fc.oneof(fc.constantFrom('2026-12-03T10:00:00.123456789Z', '0001-01-01T00:00:00Z'), fc.string()),
        endsAt: fc.oneof(fc.constant('0001-01-01T00:00:00Z'), fc.string(), fc.anything()),
        fingerprint: fc.oneof(fc.string(), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const notification = fc.record(
      {
        version: fc.oneof(fc.constant('4'), fc.anything()),
        status: fc.string(),
        alerts: fc.oneof(fc.array(alert), fc.anything()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          notification.map((v) => JSON.stringify(v) ?? ''),
          fc.string(),
        ),
        fc.boolean(),
        async (body, authorized) => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (authorized) headers.authorization = `Bearer ${h.bot.alertmanagerToken}`;
          const res = await h.post('/alertmanager', body, headers);
          expect(res.status).toBeLessThan(500);
          expect(res.text.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
