import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { ReleaseEvent } from '../../shared/domain/events';
import type { Chat, ChatFile, ChatMessage } from '../../shared/ports/chat';
import { runJob, SlackThreadPresenter } from '../../shared/slack/thread-presenter';
import { aGate, aPolicy, aRun } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const NOW = new Date('2025-03-04T10:30:00.000Z');

/** A Slack that records every call: posts (with their thread), edits, ephemeral messages and uploads. */
class RecordingChat implements Chat {
  readonly calls: { method: string; channel: string; ts?: string; message?: ChatMessage; thread?: string }[] = [];
  private next = 0;

  async post(channel: string, message: ChatMessage, thread?: { ts: string }) {
    this.next += 1;
    const ts = `1700000000.${String(this.next).padStart(6, '0')}`;
    this.calls.push({ method: 'post', channel, ts, message, ...(thread ? { thread: thread.ts } : {}) });
    return { channel, ts };
  }
  async update(channel: string, ts: string, message: ChatMessage) {
    this.calls.push({ method: 'update', channel, ts, message });
  }
  async postEphemeral(channel: string, _user: string, message: ChatMessage) {
    this.calls.push({ method: 'ephemeral', channel, message });
  }
  async upload(channel: string, _file: ChatFile) {
    this.calls.push({ method: 'upload', channel });
  }
  /** Texts posted as thread replies (not the status message, not approval requests with buttons). */
  replies = () =>
    this.calls.filter((c) => c.method === 'post' && c.thread && !c.message?.blocks).map((c) => c.message?.text);
  requests = () =>
    this.calls.filter((c) => c.method === 'post' && c.message?.blocks?.some((b) => b.type === 'actions'));
}

async function setUp() {
  const policy = aPolicy({ service: SERVICE, channel: 'C0RELEASES1' });
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, policy]]),
    clusters: {},
    ...sectionDefaults(),
  };
  const store = new MemoryStore();
  const chat = new RecordingChat();
  await store.startRun(aRun({ service: SERVICE, state: 'progressing', phase: 'Progressing', weight: 50 }), 0);
  await store.openGate(aGate({ service: SERVICE, quorum: 1 }));
  const deps = { config, store, chat, now: () => NOW };
  return { store, chat, deps, presenter: new SlackThreadPresenter(deps) };
}

const gate = { service: SERVICE, run: 1, key: 'confirm-promotion', gate: 'confirm-promotion', attempt: 1 } as const;

describe('Class: SlackThreadPresenter', () => {
  describe('Method: present', () => {
    it('posts the status message once for the first event of a run, and records the thread', async () => {
      // Prepare
      const t = await setUp();

      // Act
      await t.presenter.present({ type: 'run-started', service: SERVICE, run: 1 });
      await t.presenter.present({ type: 'run-progressed', service: SERVICE, run: 1 });

      // Assess
      expect(t.chat.calls.map((c) => c.method)).toEqual(['post']);
      expect(t.chat.calls[0]?.message?.text).toContain('production/product-service release #1');
      expect(await t.store.getThread(SERVICE, 1)).toMatchObject({ channel: 'C0RELEASES1', ts: t.chat.calls[0]?.ts });
    });

    it('posts an opened gate as an approval request in the thread, broadcast, with its buttons', async () => {
      // Prepare
      const t = await setUp();

      // Act
      await t.presenter.present({ type: 'gate-opened', ...gate });

      // Assess
      const [request] = t.chat.requests();
      expect(request?.thread).toBe(t.chat.calls[0]?.ts);
      expect(request?.message?.text).toContain(
        'Promote the canary to primary for production/product-service release #1',
      );
      expect((await t.store.getGate(SERVICE, 1, 'confirm-promotion'))?.requestPosted).toBe(1);
    });

    it('tells an approval in the thread once, even when the event is delivered twice', async () => {
      // Prepare
      const t = await setUp();
      const approved: ReleaseEvent = { type: 'gate-approved', ...gate, approvers: ['U0ALICE'] };

      // Act
      await t.presenter.present(approved);
      await t.presenter.present(approved);

      // Assess
      expect(t.chat.replies()).toEqual([':white_check_mark: <@U0ALICE> approved: promote the canary to primary.']);
    });

    it('tells a rejection with its reason escaped and what happens next', async () => {
      // Prepare
      const t = await setUp();

      // Act
      await t.presenter.present({
        type: 'gate-rejected',
        ...gate,
        by: 'U0BOB',
        reason: '<!channel> p95',
        rollback: true,
        rollbackHookSeen: true,
      });

      // Assess
      expect(t.chat.replies()).toEqual([
        ':no_entry: <@U0BOB> rejected: promote the canary to primary. Reason: &lt;!channel&gt; p95. Flagger will roll the canary back at its next check.',
      ]);
    });

    it('tells a person-requested rollback, but not the one a rejection already told', async () => {
      // Prepare
      const t = await setUp();

      // Act
      await t.presenter.present({
        type: 'rollback-requested',
        service: SERVICE,
        run: 1,
        by: 'U0BOB',
        cause: 'rejection',
      });
      await t.presenter.present({
        type: 'rollback-requested',
        service: SERVICE,
        run: 1,
        by: 'U0ALICE',
        cause: 'person',
      });

      // Assess
      expect(t.chat.replies()).toEqual([
        ':rewind: <@U0ALICE> asked to roll back production/product-service release #1. Flagger will do it at its next check.',
      ]);
    });

    it('says how a run ended and takes the buttons off requests nobody needs to answer', async () => {
      // Prepare
      const t = await setUp();
      await t.presenter.present({ type: 'gate-opened', ...gate });
      const run = await t.store.getRun(SERVICE, 1);
      if (run) await t.store.saveRun({ ...run, state: 'ended', outcome: 'succeeded', phase: 'Succeeded' });

      // Act
      await t.presenter.present({ type: 'run-ended', service: SERVICE, run: 1, outcome: 'succeeded' });

      // Assess
      expect(t.chat.replies()).toEqual([':tada: Promoted: the primary now runs the new revision.']);
      const requestTs = t.chat.requests()[0]?.ts;
      const edited = t.chat.calls.filter((c) => c.method === 'update' && c.ts === requestTs).at(-1);
      expect(edited?.message?.text).toContain('Closed without a decision');
      expect(edited?.message?.blocks?.some((b) => b.type === 'actions')).toBe(false);
    });

    it('posts the next attempt of an expired request and says it asks again', async () => {
      // Prepare
      const t = await setUp();
      await t.store.rearmGate({ ...aGate({ service: SERVICE, quorum: 1 }), attempt: 2 }, 1);

      // Act
      await t.presenter.present({ type: 'gate-expired', ...gate, next: 2 });

      // Assess
      expect(t.chat.replies()).toEqual([
        ':hourglass: The request to promote the canary to primary expired without enough approvals. Asking again.',
      ]);
      expect(await t.store.getThread(SERVICE, 1)).toMatchObject({
        requests: { 'confirm-promotion#2': expect.any(String) },
      });
    });

    it('does nothing for a pause of a service with no release (no thread to tell)', async () => {
      // Prepare
      const t = await setUp();

      // Act
      await t.presenter.present({
        type: 'paused',
        service: SERVICE,
        by: 'U0ALICE',
        at: NOW.toISOString(),
        reason: 'x',
      });

      // Assess
      expect(t.chat.calls).toEqual([]);
    });
  });
});

describe('Function: runJob', () => {
  it("runs the presenter's own jobs: tells one person, and ignores a kind an older version queued", async () => {
    // Prepare
    const t = await setUp();

    // Act
    await runJob(t.deps, { kind: 'tell-user', channel: 'C0RELEASES1', user: 'U0ALICE', text: 'Approved (1/2).' });
    await runJob(t.deps, { kind: 'announce', service: SERVICE, run: 1, key: 'end', text: 'old' } as never);

    // Assess
    expect(t.chat.calls).toEqual([
      { method: 'ephemeral', channel: 'C0RELEASES1', message: { text: 'Approved (1/2).' } },
    ]);
  });
});
