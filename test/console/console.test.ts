import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOT_ALLOWED } from '../../local/console';
import type { ConsoleMessage, ConsoleView } from '../../local/console/workspace';
import { type LocalBot, startLocal } from '../../local/runtime';
import { FLAGGER_TOKEN, payload, TEST_CONFIG } from '../../testkit/bot';
import { raw } from '../support/raw-http';

/*
 * The chat console over HTTP, as its page uses it, against `npm start` with no Slack token: acts go to the bot as
 * signed Slack requests, and what the bot posts comes back in the workspace. The page itself is driven in Chromium
 * by test/e2e/console.test.ts.
 */
interface State {
  messages: ConsoleMessage[];
  views: ConsoleView[];
  flagger: { hook: string; status: number; answer: string }[];
  users: { id: string; label: string }[];
}

describe('Chat console (npm start without Slack)', () => {
  let root: string;
  let bot: LocalBot;
  let token: string;
  const lines: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'release-bot-console-'));
    writeFileSync(join(root, 'config.yaml'), TEST_CONFIG);
    bot = await startLocal(
      {
        PORT: '0',
        RELEASE_BOT_CONFIG: join(root, 'config.yaml'),
        RELEASE_BOT_DATA_DIR: join(root, 'data'),
        FLAGGER_WEBHOOK_TOKEN: FLAGGER_TOKEN,
      },
      undefined,
      { write: (line) => lines.push(line) },
    );
    const page = await (await fetch(bot.consoleUrl ?? '')).text();
    token = /name="console-token" content="([0-9a-f]+)"/.exec(page)?.[1] ?? '';
  });
  afterAll(async () => {
    await bot.close();
    rmSync(root, { recursive: true, force: true });
  });

  const state = async (): Promise<State> =>
    (await fetch(`${bot.url}/console/state`, { headers: { 'x-console-token': token } })).json() as Promise<State>;
  const act = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${bot.url}/console/act`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-console-token': token, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  const flagger = async (hook: string, body: unknown) => {
    const res = await fetch(`${bot.url}/flagger/${hook}`, { method: 'POST', body: JSON.stringify(body) });
    return res.status;
  };
  /** Waits for the queued Slack work (the bot posts through its outbox). */
  const settled = () => bot.queue.drain();
  const button = (m: ConsoleMessage | undefined, actionId: string) => {
    const blocks = (m?.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[];
    const found = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId);
    return { ts: m?.ts, actionId, value: found?.value ?? '' };
  };
  const request = async () => (await state()).messages.find((m) => m.threadTs && /Promote the canary/.test(m.text));

  it('serves the page with a fresh token, its script, and a banner URL on loopback', async () => {
    const page = await fetch(bot.consoleUrl ?? '');

    expect(bot.consoleUrl).toBe(`${bot.url}/console`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect((await fetch(`${bot.url}/console/app.js`)).status).toBe(200);
  });

  it('opens a manual gate only after an approver clicks Approve; someone not allowed is told so', async () => {
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-1', { deployer: 'U0DEPLOYER1' }))).toBe(403);
    await settled();
    const waiting = await request();

    const refused = await act({
      kind: 'click',
      user: NOT_ALLOWED,
      channel: 'C0RELEASES1',
      ...button(waiting, 'release_approve'),
    });
    await settled();
    expect(refused.status).toBe(200);
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-1'))).toBe(403);
    const approved = await act({
      kind: 'click',
      user: 'U0APPROVER1',
      channel: 'C0RELEASES1',
      ...button(waiting, 'release_approve'),
    });
    await settled();

    expect(approved.status).toBe(200);
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-1'))).toBe(200);
    const after = await state();
    const told = after.messages.filter((m) => m.onlyFor === NOT_ALLOWED).map((m) => m.text);
    expect(told.join('\n')).toMatch(/You cannot approve this: you are not an approver/);
    expect(after.flagger.map((c) => c.status)).toEqual([403, 403, 200]);
    expect(after.users.map((u) => u.id)).toEqual([
      'U0APPROVER1',
      'U0APPROVER2',
      'U0PAY00001',
      'U0PAY00002',
      'U0PAY00003',
      'U0PAY00004',
      'U0PAY00005',
      'U0DEPLOYER1',
      NOT_ALLOWED,
    ]);
    expect(lines.some((l) => l.startsWith('[slack C0RELEASES1] new message'))).toBe(true);
  });

  it('rejects through the dialog: a click opens it for that person, the reason goes to the thread', async () => {
    await flagger('confirm-promotion', payload('Progressing', 'rev-2'));
    await settled();
    const waiting = (await state()).messages.filter((m) => m.threadTs && /release #2/.test(m.text)).at(-1);

    await act({ kind: 'click', user: 'U0APPROVER2', channel: 'C0RELEASES1', ...button(waiting, 'release_reject') });
    const dialog = (await state()).views.find((v) => v.user === 'U0APPROVER2');
    const empty = await act({ kind: 'submit', user: 'U0APPROVER2', viewId: dialog?.id, values: { reason: '' } });
    const stranger = await act({
      kind: 'submit',
      user: 'U0APPROVER1',
      viewId: dialog?.id,
      values: { reason: 'mine now' },
    });
    await act({
      kind: 'submit',
      user: 'U0APPROVER2',
      viewId: dialog?.id,
      values: { reason: 'p95 <!channel> too high' },
    });
    await settled();

    expect(JSON.parse(empty.text)).toMatchObject({
      status: 422,
      said: expect.stringMatching(/^Please complete this required field/),
    });
    expect(stranger.status).toBe(200);
    expect(JSON.parse(stranger.text)).toEqual({ status: 404, said: 'That dialog is not open for this user.' });
    const after = await state();
    expect(after.views.find((v) => v.id === dialog?.id)?.view).toMatchObject({ title: { text: 'Rejected' } });
    const thread = after.messages.filter((m) => m.threadTs === waiting?.threadTs).map((m) => m.text);
    expect(thread.join('\n')).toContain('Reason: p95 &lt;!channel&gt; too high');
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-2'))).toBe(403);
  });

  it('answers a typed /canary command with an ephemeral reply for that person', async () => {
    const answer = await act({
      kind: 'command',
      user: 'U0APPROVER1',
      channel: 'C0RELEASES1',
      text: 'status production/product-service',
    });

    expect(answer.status).toBe(200);
    const reply = (await state()).messages.at(-1);
    expect(reply).toMatchObject({ onlyFor: 'U0APPROVER1' });
    expect(reply?.text).toMatch(/production\/product-service release #2/);
  });

  it('rolls back from the ephemeral confirmation /canary rollback shows, clicked by the person who asked', async () => {
    const release = (phase: string) => ({ ...payload(phase, 'pay-1'), name: 'payment-service' });
    expect(await flagger('confirm-promotion', release('Progressing'))).toBe(403);
    await settled();
    await act({
      kind: 'command',
      user: 'U0PAY00001',
      channel: 'C0PAYMENTS1',
      text: 'rollback production/payment-service',
    });
    const confirmation = (await state()).messages.at(-1);

    const someoneElse = await act({
      kind: 'click',
      user: 'U0PAY00002',
      channel: 'C0PAYMENTS1',
      ...button(confirmation, 'release_rollback'),
    });
    const asker = await act({
      kind: 'click',
      user: 'U0PAY00001',
      channel: 'C0PAYMENTS1',
      ...button(confirmation, 'release_rollback'),
    });
    await settled();

    expect(confirmation).toMatchObject({ onlyFor: 'U0PAY00001', text: expect.stringMatching(/^Roll back/) });
    expect(JSON.parse(someoneElse.text)).toEqual({
      status: 404,
      said: 'That message is not in this channel (any more).',
    });
    expect(asker.status).toBe(200);
    expect(await flagger('rollback', release('Progressing'))).toBe(200);
  });

  it('clicks only buttons that are on the message', async () => {
    const waiting = await request();

    const forged = await act({
      kind: 'click',
      user: 'U0APPROVER1',
      channel: 'C0RELEASES1',
      ts: waiting?.ts,
      actionId: 'release_approve',
      value: '{"s":"production/payment-service","r":1,"g":"confirm-promotion","a":1}',
    });

    expect(JSON.parse(forged.text)).toEqual({
      status: 404,
      said: 'That message has no such button (it was edited since).',
    });
  });

  it('refuses another Host, a missing token, a form post, another site and a malformed act, each with a sentence', async () => {
    const { port } = new URL(bot.url);
    const rebinding = await raw(
      bot.url,
      `GET /console/state HTTP/1.1\r\nHost: evil.example:${port}\r\nx-console-token: ${token}\r\nConnection: close\r\n\r\n`,
    );
    const noToken = await fetch(`${bot.url}/console/state`);
    const form = await fetch(`${bot.url}/console/act`, {
      method: 'POST',
      headers: { 'x-console-token': token, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'kind=close',
    });
    const otherSite = await act({ kind: 'close', user: 'U0APPROVER1' }, { origin: 'https://evil.example' });
    const malformed = await act({ kind: 'click', user: '<!channel>' });

    expect(rebinding.status).toBe(403);
    expect(rebinding.body).toMatch(/answers only to http:\/\/127\.0\.0\.1/);
    expect(noToken.status).toBe(401);
    expect(await noToken.text()).toMatch(/no valid console token/);
    expect(form.status).toBe(415);
    expect(otherSite.status).toBe(403);
    expect(malformed.status).toBe(400);
    expect(malformed.text).toMatch(/^The act is malformed \(.*user: a Slack user ID looks like U0123ABCD/);
  });
});

describe('Chat console on a non-loopback address', () => {
  it('is not served: whoever reaches it could act as anyone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'release-bot-console-'));
    writeFileSync(join(root, 'config.yaml'), TEST_CONFIG);
    const bot = await startLocal(
      {
        PORT: '0',
        HOST: '0.0.0.0',
        RELEASE_BOT_CONFIG: join(root, 'config.yaml'),
        RELEASE_BOT_DATA_DIR: join(root, 'data'),
      },
      undefined,
      { write: () => {} },
    );
    try {
      const { port } = new URL(bot.url);
      expect(bot.consoleUrl).toBeUndefined();
      expect((await fetch(`http://127.0.0.1:${port}/console`)).status).toBe(404);
    } finally {
      await bot.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
