import { correlatedLog, currentLog, jobLog, logger, requestIdOf, withLog } from '../../shared/observability/logger';
import { captureLogs } from './capture-logs';

describe('Logger: one JSON object per line, with the correlation id and the release', () => {
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    logs = captureLogs();
  });

  afterEach(() => {
    logs.restore();
  });

  it('writes a request log line as JSON with the correlation id, the bot as service, and what is known', () => {
    const log = correlatedLog('req-1', { route: 'flagger' });
    log.appendPersistentKeys({ hook: 'confirm-promotion', release_service: 'production/product-service' });

    log.info('answered');

    expect(logs.lines()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'answered',
        service: 'release-bot',
        correlation_id: 'req-1',
        route: 'flagger',
        hook: 'confirm-promotion',
        release_service: 'production/product-service',
      }),
    ]);
  });

  it('logs an error object with its name, message and stack', () => {
    correlatedLog('req-2').error('failed', { error: new TypeError('store is down') });

    expect(logs.lines()[0]).toMatchObject({
      level: 'ERROR',
      correlation_id: 'req-2',
      error: {
        name: 'TypeError',
        message: 'store is down',
        stack: expect.stringContaining('TypeError: store is down'),
      },
    });
  });

  it('keeps two requests apart: a child logger per request, nothing shared through the root', () => {
    const a = correlatedLog('req-a');
    const b = correlatedLog('req-b');
    a.appendPersistentKeys({ release_service: 'production/a' });

    b.info('b');
    a.info('a');
    logger.info('root');

    const [first, second, root] = logs.lines();
    expect(first).toMatchObject({ correlation_id: 'req-b' });
    expect(first).not.toHaveProperty('release_service');
    expect(second).toMatchObject({ correlation_id: 'req-a', release_service: 'production/a' });
    expect(root).not.toHaveProperty('correlation_id');
  });

  it('gives code with no logger handed to it the current request log, across awaits, and the root outside', async () => {
    const log = correlatedLog('req-3');

    await withLog(log, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      currentLog().warn('deep inside');
    });
    currentLog().warn('outside');

    expect(logs.lines().map((l) => l.correlation_id)).toEqual(['req-3', undefined]);
  });

  it('logs a worker job under its queue message id, with the release it is for', () => {
    jobLog('msg-1', {
      kind: 'request-approval',
      service: 'production/product-service',
      run: 3,
      gate: 'g',
      attempt: 1,
    }).info('ran');
    jobLog('msg-2', { kind: 'tell-user', channel: 'C0RELEASES1', user: 'U0APPROVER1', text: 'hi' }).info('ran');

    const [job, user] = logs.lines();
    expect(job).toMatchObject({
      correlation_id: 'msg-1',
      job: 'request-approval',
      release_service: 'production/product-service',
      release_run: 3,
    });
    expect(user).toMatchObject({ correlation_id: 'msg-2', job: 'tell-user' });
    expect(user).not.toHaveProperty('release_service');
  });
});

describe('requestIdOf: the correlation id of an HTTP request', () => {
  it("is API Gateway's request id when there is one", () => {
    expect(requestIdOf({ requestContext: { requestId: 'Jx1zFhZ6oAMEVxA=' } })).toBe('Jx1zFhZ6oAMEVxA=');
  });

  it('is a new id for each request without one (a Slack signature identifies nothing)', () => {
    const a = requestIdOf({});
    const b = requestIdOf({ requestContext: {} });

    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).not.toBe(a);
  });
});
