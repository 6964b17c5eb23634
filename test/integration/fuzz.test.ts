import fc from 'fast-check';
import { PHASES } from '../../shared/domain/flagger';
import { FLAGGER_TOKEN, type Harness, SIGNING_SECRET, startHarness } from '../support/bot';
import { sign } from '../support/slack-requests';

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
});
