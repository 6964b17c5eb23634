import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { flaggerHandler } from '../../functions/flagger/http-handler';
import { slackHandler } from '../../functions/slack/http-handler';
import { startServer } from '../../local/server';
import type { ReleaseStore } from '../../shared/ports/store';
import { ACTIONS, REJECT_VIEW } from '../../shared/slack/blocks';
import { type Harness, payload, SIGNING_SECRET, startHarness } from '../../testkit/bot';
import { buttonClick, sign, slashCommand, viewSubmission } from '../../testkit/slack-requests';
import { captureLogs } from '../observability/capture-logs';
import { raw } from '../support/raw-http';

const USER = { id: 'U0APPROVER1', username: 'approver', team_id: 'T0TEAM0001' };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const interactive = (body: Record<string, unknown>) => form({ payload: JSON.stringify(body) });
const command = (fields: Record<string, string>) =>
  form({ ...Object.fromEntries(new URLSearchParams(slashCommand('help', USER.id))), ...fields });
const without = (body: string, key: string) => {
  const params = new URLSearchParams(body);
  params.delete(key);
  return params.toString();
};

describe('Slack edge: every payload shape Slack can send gets a 2xx with a body, or a 4xx with a sentence', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.stop();
  });

  afterEach(async () => {
    // Assess (every case): nothing was decided or posted.
    expect(await h.bot.deps.store.listAudit('production/product-service', 10)).toEqual([]);
    expect(h.slack.called('chat.postMessage')).toEqual([]);
  });

  const send = (body: string, contentType = 'application/x-www-form-urlencoded') => {
    const signed = sign(body, SIGNING_SECRET, undefined, contentType);
    return h.post('/slack/events', signed.body, signed.headers);
  };
  const blockActions = {
    ...JSON.parse(new URLSearchParams(buttonClick('x', 'v', 'U0APPROVER1')).get('payload') ?? ''),
  };
  const submission = JSON.parse(new URLSearchParams(viewSubmission('x', '', 'r', 'U0APPROVER1')).get('payload') ?? '');
  const { user: _user, ...anonymousClick } = blockActions;

  it.each<[string, string, string | undefined, number, string]>([
    ['a button click without a user', interactive(anonymousClick), undefined, 400, 'no user'],
    ['a button click with no actions', interactive({ ...blockActions, actions: [] }), undefined, 400, 'actions'],
    [
      'a click on a button release-bot does not know',
      interactive({ ...blockActions, actions: [{ action_id: 'someone_elses_button', type: 'button' }] }),
      undefined,
      200,
      'release-bot',
    ],
    [
      'a click on Approve whose value is not a request',
      buttonClick(ACTIONS.approve, 'nonsense', USER.id),
      undefined,
      200,
      'ok',
    ],
    ['view_closed', interactive({ type: 'view_closed', user: USER, view: submission.view }), undefined, 200, 'ok'],
    [
      'view_submission for a callback id release-bot does not know',
      viewSubmission('someone_elses_modal', '{}', 'r', USER.id),
      undefined,
      200,
      '"response_action":"clear"',
    ],
    ['view_submission without a user', interactive({ ...submission, user: undefined }), undefined, 400, 'no user'],
    ['view_submission without a view', interactive({ ...submission, view: undefined }), undefined, 400, 'view'],
    [
      'view_submission whose input values are not text',
      viewSubmission(REJECT_VIEW, '{}', 'r', USER.id).replace(
        'plain_text_input%22%2C%22value%22%3A%22r',
        'x%22%2C%22value%22%3A7%2C%22y%22%3A%22',
      ),
      undefined,
      400,
      'view',
    ],
    [
      'a global shortcut',
      interactive({ type: 'shortcut', user: USER, callback_id: 'x', trigger_id: '1.2' }),
      undefined,
      200,
      '/canary help',
    ],
    [
      'a message shortcut',
      interactive({ type: 'message_action', user: USER, callback_id: 'x' }),
      undefined,
      200,
      '/canary help',
    ],
    [
      'a block_suggestion',
      interactive({ type: 'block_suggestion', user: USER, action_id: 'x', value: 'a' }),
      undefined,
      200,
      '"options":[]',
    ],
    [
      'an interactive payload of a type Slack may add',
      interactive({ type: 'hologram', user: USER }),
      undefined,
      200,
      'hologram',
    ],
    ['an interactive payload without a type', interactive({ user: USER }), undefined, 400, 'type'],
    [
      'an Events API event_callback',
      JSON.stringify({ type: 'event_callback', event: { type: 'app_mention', text: '<!channel>' } }),
      'application/json',
      200,
      'ok',
    ],
    ['an Events API body without a type', JSON.stringify({ event: {} }), 'application/json', 400, 'type'],
    [
      'a slash command without user_id',
      without(slashCommand('approve product-service', USER.id), 'user_id'),
      undefined,
      400,
      'user_id',
    ],
    [
      'a slash command without channel_id',
      without(slashCommand('approve product-service', USER.id), 'channel_id'),
      undefined,
      400,
      'channel_id',
    ],
    ['a slash command without text', without(slashCommand('', USER.id), 'text'), undefined, 200, '/canary'],
    [
      'a slash command repeating user_id',
      `${slashCommand('help', USER.id)}&user_id=U0OTHER001`,
      undefined,
      400,
      'user_id',
    ],
    ['another app’s slash command', command({ command: '/deploy' }), undefined, 200, '/canary'],
    ['Slack’s ssl_check', form({ ssl_check: '1', token: 't' }), undefined, 200, 'ok'],
    ['a form that is neither a command nor a payload', form({ hello: 'world' }), undefined, 400, 'slash command'],
  ])('answers %s', async (_case, body, contentType, status, sentence) => {
    const res = await send(body, contentType);

    expect(res.status).toBe(status);
    expect(res.text.trim().length).toBeGreaterThan(0);
    expect(res.text).toContain(sentence);
  });
});

describe('Slack handler (Lambda and local alike): a failing listener is answered with a sentence and logged', () => {
  let h: Harness;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    h = await startHarness();
  });

  beforeEach(() => {
    logs = captureLogs();
  });

  afterEach(() => {
    logs.restore();
  });

  afterAll(async () => {
    await h.stop();
  });

  /** The handler the Lambda function exports, over a store that is down. */
  const broken = () => {
    const failing = new Proxy(h.bot.deps.store, {
      get: (target, key) => {
        const value = target[key as keyof ReleaseStore];
        return typeof value === 'function' ? () => Promise.reject(new Error('DynamoDB is unreachable')) : value;
      },
    });
    return slackHandler(
      { ...h.bot.deps, store: failing },
      { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test-token' },
    );
  };
  const lambdaEvent = (body: string): APIGatewayProxyEventV2 => {
    const signed = sign(body, SIGNING_SECRET);
    return {
      version: '2.0',
      routeKey: 'POST /slack/events',
      rawPath: '/slack/events',
      rawQueryString: '',
      headers: signed.headers,
      requestContext: { http: { method: 'POST', path: '/slack/events' } } as APIGatewayProxyEventV2['requestContext'],
      body: Buffer.from(signed.body).toString('base64'),
      isBase64Encoded: true,
    };
  };

  it('answers a slash command whose listener fails with 200 and an ephemeral sentence', async () => {
    const res = await broken()(lambdaEvent(slashCommand('approve product-service', 'U0APPROVER1')));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      response_type: 'ephemeral',
      text: expect.stringContaining('release-bot could not finish this'),
    });
    // Logged as an error with the cause and its stack, under the request's correlation id.
    const failure = logs.lines().find((line) => line.message === 'Slack listener failed');
    expect(failure).toMatchObject({
      level: 'ERROR',
      service: 'release-bot',
      route: 'slack',
      kind: 'command',
      correlation_id: expect.any(String),
      error: { message: 'DynamoDB is unreachable', stack: expect.stringContaining('Error: DynamoDB is unreachable') },
    });
  });

  it('answers a reject dialog whose listener fails with 200 and the sentence on the reason field', async () => {
    const meta = JSON.stringify({
      s: 'production/product-service',
      r: 1,
      g: 'confirm-promotion',
      a: 1,
      c: 'C0RELEASES1',
    });

    const res = await broken()(lambdaEvent(viewSubmission(REJECT_VIEW, meta, 'bad canary', 'U0APPROVER1')));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      response_action: 'errors',
      errors: { reason: expect.stringContaining('release-bot could not finish this') },
    });
  });

  it('answers a click whose listener fails with 200 and a body', async () => {
    const value = JSON.stringify({ s: 'production/product-service', r: 1, g: 'confirm-promotion', a: 1 });

    const res = await broken()(lambdaEvent(buttonClick(ACTIONS.approve, value, 'U0APPROVER1')));

    expect(res.statusCode).toBe(200);
    expect(res.body.trim().length).toBeGreaterThan(0);
  });
});

describe('Local server: any request target gets a 4xx with a sentence', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.stop();
  });

  it.each<[string, string, number, string]>([
    ['an empty path after the slash (GET //)', 'GET // HTTP/1.1\r\nHost: x\r\n\r\n', 404, 'Not found'],
    [
      'a network-path target (GET //evil/slack/events)',
      'GET //evil/flagger/event HTTP/1.1\r\nHost: x\r\n\r\n',
      404,
      'Not found',
    ],
    ['an unparsable absolute URL (GET http://[)', 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'request target'],
    [
      'an absolute-form target of another scheme',
      'GET ftp://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n',
      400,
      'request target',
    ],
    ['an asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'request target'],
    [
      'bad percent-encoding on the Flagger route',
      'POST /flagger/%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
      400,
      'percent-encoding',
    ],
    ['a CONNECT request', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, 'CONNECT'],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400, 'HTTP'],
    [
      'an Expect header it cannot meet',
      'POST /flagger/event HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Length: 0\r\n\r\n',
      417,
      'Expect',
    ],
    ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers'],
  ])('answers %s', async (_case, request, status, sentence) => {
    const res = await raw(h.bot.url, request);

    expect(res.status).toBe(status);
    expect(res.body.trim().length).toBeGreaterThan(0);
    expect(res.body).toContain(sentence);
  });
});

describe('Local server: timeouts set deliberately, and a too-slow request gets 408 with a sentence', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.stop();
  });

  const serve = (timeouts?: { headersMs: number; requestMs: number }) =>
    startServer({
      deps: h.bot.deps,
      port: 0,
      flaggerToken: h.bot.flaggerToken,
      slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test-token' },
      ...(timeouts ? { timeouts } : {}),
    });

  it('cuts headers at 5 s, a whole request at 10 s (Flagger gives up then) and idle keep-alive at 5 s', async () => {
    const { server } = await serve();
    try {
      expect(server.headersTimeout).toBe(5_000);
      expect(server.requestTimeout).toBe(10_000);
      expect(server.keepAliveTimeout).toBe(5_000);
    } finally {
      server.close();
    }
  });

  it('answers headers sent too slowly (slow-loris) with 408 and a sentence', async () => {
    const { server, url } = await serve({ headersMs: 300, requestMs: 600 });
    try {
      const res = await raw(url, 'POST /flagger/event HTTP/1.1\r\nHost: x\r\nX-Slow: ', 3000);

      expect(res.status).toBe(408);
      expect(res.body).toContain('too long');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('answers a body sent too slowly with 408 and a sentence', async () => {
    const { server, url } = await serve({ headersMs: 300, requestMs: 600 });
    try {
      const res = await raw(url, 'POST /flagger/event HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"na', 3000);

      expect(res.status).toBe(408);
      expect(res.body).toContain('too long');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('Local server: a slow Slack directory does not lock out approvers listed by user ID', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.stop();
  });

  it('answers /canary approve inside Slack’s 3 s while usergroups.users.list hangs, and the gate opens', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    h.slack.faults.set('usergroups.users.list', { delayMs: 10_000 });

    const started = Date.now();
    const res = await h.command('approve production/product-service', 'U0APPROVER1');
    const elapsed = Date.now() - started;
    const gate = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    expect(elapsed).toBeLessThan(3000);
    expect(res.text).toContain('Approved');
    expect(gate.status).toBe(200);
  });
});

describe('Flagger handler (Lambda and local alike): never a 5xx, even before the hook is read', () => {
  it('answers 403 with a sentence when its dependencies cannot be built (a cold start that fails)', async () => {
    const logs = captureLogs();
    const counted: unknown[] = [];
    const handler = flaggerHandler(
      () => Promise.reject(new Error('DynamoDB client could not start')),
      ['token'],
      async (error) => void counted.push(error),
    );

    const res = await handler({
      rawPath: '/flagger/confirm-promotion',
      requestContext: { http: { method: 'POST' }, requestId: 'req-cold-start-1' },
      body: JSON.stringify(payload('Progressing', 'rev-1')),
    } as APIGatewayProxyEventV2).finally(logs.restore);

    expect(res.statusCode).toBe(403);
    expect(res.body).toContain(
      'could not process this webhook (DynamoDB client could not start); the gate stays closed',
    );
    expect(counted).toHaveLength(1);
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        correlation_id: 'req-cold-start-1',
        code: 'INTERNAL',
        error: expect.objectContaining({ stack: expect.stringContaining('DynamoDB client could not start') }),
      }),
    );
  });
});
