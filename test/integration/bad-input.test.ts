import { FLAGGER_TOKEN, type Harness, payload, SIGNING_SECRET, startHarness } from '../../testkit/bot';
import { sign, slashCommand } from '../../testkit/slack-requests';

const json = { 'content-type': 'application/json' };

describe('Local server: bad input gets a clear error and writes nothing', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.stop();
  });

  afterEach(async () => {
    // Assess (every case): nothing reached the store or Slack.
    expect(await h.bot.deps.store.getService('production/product-service')).toBeUndefined();
    expect(await h.bot.deps.store.listAudit('production/product-service', 10)).toEqual([]);
    expect(h.slack.calls).toEqual([]);
  });

  it.each([
    ['malformed JSON', '/flagger/confirm-promotion', '{"name": "product-service",', 400, 'The body is not JSON'],
    ['a JSON array', '/flagger/confirm-promotion', '[]', 401, 'Missing or wrong token'],
    [
      'no token',
      '/flagger/confirm-promotion',
      JSON.stringify({ ...payload('Progressing', 'c'), metadata: {} }),
      401,
      'Missing or wrong token',
    ],
    [
      'a wrong token',
      '/flagger/rollback',
      JSON.stringify(payload('Progressing', 'c', { token: 'guess' })),
      401,
      'Missing or wrong token',
    ],
    [
      'a token of the wrong type',
      '/flagger/rollback',
      JSON.stringify({ ...payload('Progressing', 'c'), metadata: { token: 42 } }),
      401,
      'Missing or wrong token',
    ],
    ['an unknown phase', '/flagger/confirm-promotion', JSON.stringify(payload('Dancing', 'c')), 400, 'phase'],
    [
      'a missing name',
      '/flagger/confirm-promotion',
      JSON.stringify({ namespace: 'production', phase: 'Progressing', metadata: { token: FLAGGER_TOKEN } }),
      400,
      'name',
    ],
    [
      'a name of the wrong type',
      '/flagger/event',
      JSON.stringify({ ...payload('Progressing', 'c'), name: 7 }),
      400,
      'name',
    ],
    [
      'metadata values that are not strings',
      '/flagger/event',
      JSON.stringify({ ...payload('Progressing', 'c'), metadata: { token: FLAGGER_TOKEN, n: 1 } }),
      400,
      'metadata.n',
    ],
    [
      'an unknown hook type',
      '/flagger/confirm-everything',
      JSON.stringify(payload('Progressing', 'c')),
      404,
      'Unknown Flagger hook "confirm-everything"',
    ],
    [
      'an oversized body',
      '/flagger/event',
      JSON.stringify({ ...payload('Progressing', 'c'), pad: 'x'.repeat(70_000) }),
      413,
      'larger than',
    ],
    ['a body over the server read limit', '/flagger/event', 'x'.repeat(1_100_000), 413, 'larger than'],
  ])('answers %s with %i and a sentence', async (_case, path, body, status, sentence) => {
    const res = await h.post(path, body, json);

    expect(res.status).toBe(status);
    expect(res.text).toContain(sentence);
    expect(res.text.trim().endsWith('.') || res.text.includes(')')).toBe(true);
  });

  it('answers a GET to a Flagger hook with 405', async () => {
    const res = await fetch(`${h.bot.url}/flagger/rollback`);
    expect(res.status).toBe(405);
  });

  it.each([
    [
      'no signature',
      () => ({ body: slashCommand('approve product-service', 'U0APPROVER1'), headers: {} }),
      'Missing X-Slack-Signature',
    ],
    [
      'a wrong signature',
      () => sign(slashCommand('approve product-service', 'U0APPROVER1'), 'not-the-secret'),
      'signature does not match',
    ],
    [
      'a stale timestamp',
      () =>
        sign(
          slashCommand('approve product-service', 'U0APPROVER1'),
          SIGNING_SECRET,
          Math.floor(Date.now() / 1000) - 301,
        ),
      'more than 5 minutes',
    ],
    [
      'a body changed after signing',
      () => {
        const signed = sign(slashCommand('status product-service', 'U0APPROVER1'), SIGNING_SECRET);
        return { ...signed, body: slashCommand('approve product-service', 'U0APPROVER1') };
      },
      'signature does not match',
    ],
  ])('refuses a Slack request with %s: 401', async (_case, build, sentence) => {
    const { body, headers } = build();
    const res = await h.post('/slack/events', body, headers);

    expect(res.status).toBe(401);
    expect(res.text).toContain(sentence);
  });

  it('answers a signed Slack request whose payload is not JSON with 400', async () => {
    const signed = sign('payload=%7Bnot-json', SIGNING_SECRET);
    const res = await h.post('/slack/events', signed.body, signed.headers);

    expect(res.status).toBe(400);
    expect(res.text).toContain('neither a Slack form post nor JSON');
  });

  it('answers a signed Slack request that is neither a form nor JSON with 415 and the same sentence', async () => {
    const signed = sign('command=/canary&text=help', SIGNING_SECRET, undefined, 'text/plain');
    const res = await h.post('/slack/events', signed.body, signed.headers);

    expect(res.status).toBe(415);
    expect(res.text).toBe('The body is neither a Slack form post nor JSON.\n');
  });
});
