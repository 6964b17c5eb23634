import type { Server } from 'node:http';
import { startServer } from '../../local/server';
import type { ReleaseStore } from '../../shared/ports/store';
import { type Harness, payload, SIGNING_SECRET, startHarness } from '../../testkit/bot';
import { captureLogs } from './capture-logs';

/** The local server's failure count, as an operator (or Prometheus) reads it on GET /metrics. */
async function failuresOn(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = /^release_bot_flagger_internal_failures_total (\d+)$/m.exec(text);
  if (!line) throw new Error(`no failure counter in:\n${text}`);
  return Number(line[1]);
}

describe('Local server: a Flagger 403 that is the bot failing is logged with its stack and counted', () => {
  let h: Harness;
  let broken: { server: Server; url: string };

  beforeAll(async () => {
    h = await startHarness();
    const down = new Proxy(h.bot.deps.store, {
      get: (target, key) => {
        const value = target[key as keyof ReleaseStore];
        return typeof value === 'function' ? () => Promise.reject(new Error('DynamoDB is unreachable')) : value;
      },
    });
    broken = await startServer({
      deps: { ...h.bot.deps, store: down },
      port: 0,
      flaggerToken: h.bot.flaggerToken,
      slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test-token' },
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => broken.server.close(resolve));
    await h.stop();
  });

  it('counts nothing for a gate that is waiting for approval', async () => {
    const res = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    expect(res.status).toBe(403);
    expect(res.text).toContain('waiting for approval');
    expect(await failuresOn(h.bot.url)).toBe(0);
  });

  it('answers 403 with a sentence when the store is down, counts it, and logs it under the request id', async () => {
    const logs = captureLogs();
    const res = await fetch(`${broken.url}/flagger/confirm-promotion`, {
      method: 'POST',
      body: JSON.stringify(payload('Progressing', 'rev-1')),
    }).finally(logs.restore);
    const text = await res.text();

    expect(res.status).toBe(403);
    expect(text).toBe(
      'release-bot could not process confirm-promotion for production/product-service (DynamoDB is unreachable); the gate stays closed\n',
    );
    expect(await failuresOn(broken.url)).toBe(1);
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        service: 'release-bot',
        correlation_id: res.headers.get('apigw-requestid'),
        hook: 'confirm-promotion',
        release_service: 'production/product-service',
        code: 'INTERNAL',
        error: expect.objectContaining({ stack: expect.stringContaining('Error: DynamoDB is unreachable') }),
      }),
    );
  });

  it('counts no failure for a request that is wrong (a bad token is 401, not the bot failing)', async () => {
    const before = await failuresOn(broken.url);
    const res = await fetch(`${broken.url}/flagger/confirm-promotion`, {
      method: 'POST',
      body: JSON.stringify(payload('Progressing', 'rev-1', { token: 'guess' })),
    });

    expect(res.status).toBe(401);
    expect(await failuresOn(broken.url)).toBe(before);
  });
});
