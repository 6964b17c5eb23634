import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { DEFAULT_ROLLBACK_RUNBOOK, runbookSchema } from '../../shared/config/runbooks';
import { sectionDefaults } from '../../shared/config/schema';
import type { AlertFacts } from '../../shared/domain/alert';
import type { ReleaseEvent } from '../../shared/domain/events';
import { newExecution, type RunbookExecution, type StepResult } from '../../shared/domain/runbook';
import type { Chat, ChatFile, ChatMessage } from '../../shared/ports/chat';
import { ACTIONS } from '../../shared/slack/blocks';
import { SlackThreadPresenter } from '../../shared/slack/thread-presenter';
import { aPolicy, aRun, aSnapshot } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const NOW = new Date('2025-03-04T10:30:00.000Z');

/** A Slack that records every post (with its thread and broadcast flag) and every edit. */
class RecordingChat implements Chat {
  readonly calls: { method: string; ts: string; message: ChatMessage; thread?: string; broadcast?: boolean }[] = [];
  private next = 0;
  async post(channel: string, message: ChatMessage, thread?: { ts: string; broadcast?: boolean }) {
    this.next += 1;
    const ts = `1700000000.${String(this.next).padStart(6, '0')}`;
    this.calls.push({
      method: 'post',
      ts,
      message,
      ...(thread ? { thread: thread.ts, broadcast: !!thread.broadcast } : {}),
    });
    return { channel, ts };
  }
  async update(_channel: string, ts: string, message: ChatMessage) {
    this.calls.push({ method: 'update', ts, message });
  }
  async postEphemeral() {}
  async upload(_channel: string, _file: ChatFile) {}
  /** Posts in the thread after the status message. */
  threadPosts = () => this.calls.filter((c) => c.method === 'post' && c.thread);
  texts = () => this.threadPosts().map((c) => c.message.text);
}

const ALERT: AlertFacts = {
  fingerprint: 'f1a2b3',
  name: 'HighErrorRate',
  status: 'firing',
  severity: 'critical',
  startsAt: '2025-03-04T10:29:00.000Z',
  summary: '5xx at 12% <!channel> look',
  generatorURL: 'http://prometheus:9090/graph?g0.expr=x&g0.tab=1',
  labels: { alertname: 'HighErrorRate', namespace: 'production', canary: 'product-service' },
};

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
  await store.startRun(aRun({ service: SERVICE, state: 'progressing', phase: 'Progressing', weight: 20 }), 0);
  const deps = { config, store, chat, now: () => NOW };
  return { store, chat, presenter: new SlackThreadPresenter(deps) };
}

function anExecution(overrides: Partial<RunbookExecution> = {}): RunbookExecution {
  return {
    ...newExecution({
      service: SERVICE,
      run: 1,
      id: 'rollback',
      runbook: 'rollback',
      definition: runbookSchema.parse(DEFAULT_ROLLBACK_RUNBOOK),
      dryRun: false,
      trigger: { cause: 'alert', by: 'alertmanager', reason: 'alert HighErrorRate', alert: ALERT },
      now: NOW,
    }),
    ...overrides,
  };
}

const result = (index: number, status: StepResult['status'], durationMs: number, detail: string): StepResult => ({
  index,
  kind: 'wait',
  status,
  startedAt: NOW.toISOString(),
  endedAt: NOW.toISOString(),
  durationMs,
  detail,
  attempts: 1,
});

const event = (type: 'runbook-started' | 'runbook-progressed', execution = 'rollback'): ReleaseEvent =>
  type === 'runbook-started'
    ? { type, service: SERVICE, run: 1, execution }
    : { type, service: SERVICE, run: 1, execution, step: 0 };

/** Saves a new state of the stored execution, as the executor would after a step. */
async function advance(store: MemoryStore, changes: Partial<RunbookExecution>, id = 'rollback') {
  const stored = await store.getExecution(SERVICE, 1, id);
  if (!stored) throw new Error('no execution');
  expect(await store.saveExecution({ ...stored, ...changes })).toBe(true);
}

const allText = (message: ChatMessage | undefined): string => JSON.stringify(message?.blocks ?? []);

describe('Class: SlackThreadPresenter, runbook executions', () => {
  it('posts one message per execution and edits it in place as the steps run', async () => {
    // Prepare
    const t = await setUp();
    await t.store.createExecution(anExecution());

    // Act
    await t.presenter.present(event('runbook-started'));
    await advance(t.store, {
      next: 2,
      results: [result(0, 'ok', 43, 'rollback hook answers 200'), result(1, 'ok', 8200, 'primary 100, canary 0')],
    });
    await t.presenter.present(event('runbook-progressed'));

    // Assess
    const [posted] = t.chat.threadPosts();
    expect(t.chat.threadPosts()).toHaveLength(1);
    expect(posted?.broadcast).toBe(true);
    expect(posted?.message.text).toContain('Rollback (production/product-service release #1): running');
    const update = t.chat.calls.filter((c) => c.method === 'update' && c.ts === posted?.ts);
    expect(update).toHaveLength(1);
    expect(allText(update[0]?.message)).toContain(':white_check_mark: 2. Route 100% to the primary · _8.2 s_');
    expect(allText(update[0]?.message)).toContain('_43 ms_');
    expect(allText(update[0]?.message)).toContain(':hourglass_flowing_sand: 3. Flagger marks the canary Failed');
    expect((await t.store.getThread(SERVICE, 1))?.requests['runbook:rollback']).toBe(posted?.ts);
  });

  it('posts nothing twice and edits nothing unchanged when events are redelivered', async () => {
    // Prepare
    const t = await setUp();
    await t.store.createExecution(anExecution());

    // Act
    await t.presenter.present(event('runbook-started'));
    await t.presenter.present(event('runbook-started'));
    await t.presenter.present(event('runbook-progressed'));

    // Assess
    expect(t.chat.threadPosts()).toHaveLength(1);
    expect(t.chat.calls.filter((c) => c.method === 'update' && c.ts === t.chat.threadPosts()[0]?.ts)).toEqual([]);
  });

  it('shows every step status, and the alert that triggered it with its summary inert', async () => {
    // Prepare
    const t = await setUp();
    const steps = [
      { kind: 'signal-flagger', name: 'Tell Flagger' },
      { kind: 'set-weights', primary: 100, canary: 0 },
      { kind: 'scale', name: 'Scale', deployment: '{canary}', replicas: 0 },
      { kind: 'snapshot', name: 'Snap' },
      { kind: 'notify', name: 'Say', text: 'x' },
      { kind: 'inspect', name: 'Look', what: 'canary' },
    ] as RunbookExecution['steps'];
    const results = [
      result(0, 'ok', 5, 'done'),
      result(1, 'failed', 1500, 'apiserver said <!here>'),
      result(2, 'skipped', 0, 'no cluster is configured'),
      result(3, 'dry-run', 12, 'would snapshot'),
    ];
    await t.store.createExecution(anExecution({ steps, results, next: 4 }));

    // Act
    await t.presenter.present(event('runbook-started'));

    // Assess
    const text = allText(t.chat.threadPosts()[0]?.message);
    for (const icon of [
      ':white_check_mark:',
      ':x:',
      ':fast_forward:',
      ':mag:',
      ':hourglass_flowing_sand:',
      ':white_circle:',
    ])
      expect(text).toContain(icon);
    expect(text).toContain('2. `set-weights` · _1.5 s_ · apiserver said &lt;!here&gt;');
    expect(text).toContain('Triggered by alert *HighErrorRate* (critical) · 5xx at 12% &lt;!channel&gt; look');
    expect(text).toContain('<http://prometheus:9090/graph?g0.expr=x&amp;g0.tab=1|source>');
    expect(text).not.toContain('<!channel>');
  });

  it('shows a Confirm button naming service, run and execution while it waits at a confirm step', async () => {
    // Prepare
    const t = await setUp();
    const steps = [{ kind: 'confirm', name: 'Go?', prompt: 'Scale the canary to 0?' }] as RunbookExecution['steps'];
    await t.store.createExecution(anExecution({ id: 'fix@1', runbook: 'fix', steps, state: 'waiting' }));

    // Act
    await t.presenter.present({ type: 'runbook-waiting', service: SERVICE, run: 1, execution: 'fix@1', step: 0 });

    // Assess
    const message = t.chat.threadPosts()[0]?.message;
    expect(message?.text).toContain('Runbook fix (production/product-service release #1): waiting for a confirmation');
    expect(allText(message)).toContain(':raising_hand: 1. Go? · *Scale the canary to 0?*');
    const actions = message?.blocks?.find((b) => b.type === 'actions');
    const button = actions?.type === 'actions' ? actions.elements[0] : undefined;
    expect(button).toMatchObject({ action_id: ACTIONS.confirmRunbook });
    expect(JSON.parse(String(button && 'value' in button ? button.value : ''))).toEqual({
      s: SERVICE,
      r: 1,
      e: 'fix@1',
    });
    expect(t.chat.threadPosts()[0]?.broadcast).toBe(false);
  });

  it('says at the end how long the rollback took and what it left, once', async () => {
    // Prepare
    const t = await setUp();
    await t.store.createExecution(anExecution());
    const results = [0, 1, 2, 3, 4, 5].map((i) => result(i, 'ok', 100, 'ok'));
    const ended = { state: 'succeeded' as const, next: 6, results, endedAt: '2025-03-04T10:30:09.400Z' };

    // Act
    await t.presenter.present(event('runbook-started'));
    await advance(t.store, ended);
    const end: ReleaseEvent = {
      type: 'runbook-ended',
      service: SERVICE,
      run: 1,
      execution: 'rollback',
      state: 'succeeded',
    };
    await t.presenter.present(end);
    await t.presenter.present(end);

    // Assess
    expect(t.chat.texts().slice(1)).toEqual([
      ':white_check_mark: Rollback finished in 9.4 s: traffic on the primary, canary Failed.',
    ]);
    const edited = t.chat.calls.filter((c) => c.method === 'update').at(-1);
    expect(allText(edited?.message)).toContain('total 9.4 s');
  });

  it('says where a failed runbook stopped, with the detail escaped', async () => {
    // Prepare
    const t = await setUp();
    const results = [
      result(0, 'ok', 10, 'ok'),
      result(1, 'ok', 10, 'ok'),
      result(2, 'failed', 60_000, 'still <Progressing>'),
    ];
    await t.store.createExecution(
      anExecution({ state: 'failed', next: 2, results, endedAt: '2025-03-04T10:31:00.500Z' }),
    );

    // Act
    await t.presenter.present({
      type: 'runbook-ended',
      service: SERVICE,
      run: 1,
      execution: 'rollback',
      state: 'failed',
    });

    // Assess
    expect(t.chat.texts().at(-1)).toBe(':x: Rollback failed at step 3: still &lt;Progressing&gt; (after 1 min 1 s).');
  });

  it('titles a dry run as one that changed nothing, and keeps it in the thread', async () => {
    // Prepare
    const t = await setUp();
    await t.store.createExecution(
      anExecution({
        id: 'dry-run:rollback@1',
        dryRun: true,
        trigger: { cause: 'person', by: 'U0ALICE', reason: 'dry run: preview' },
      }),
    );

    // Act
    await t.presenter.present(event('runbook-started', 'dry-run:rollback@1'));

    // Assess
    const [post] = t.chat.threadPosts();
    expect(post?.broadcast).toBe(false);
    expect(allText(post?.message)).toContain(
      '*:mag: Dry run of rollback — nothing was changed* · production/product-service release #1',
    );
    expect(allText(post?.message)).toContain('Asked by <@U0ALICE>: dry run: preview');
  });
});

describe('Class: SlackThreadPresenter, alerts', () => {
  const received = (
    action: 'rolling-back' | 'offered' | 'rejected-rollout' | 'already-rolling-back',
  ): ReleaseEvent => ({
    type: 'alert-received',
    service: SERVICE,
    run: 1,
    alert: ALERT,
    action,
  });

  it('tells a firing alert once, however often Alertmanager repeats it, with its text inert', async () => {
    // Prepare
    const t = await setUp();

    // Act
    await t.presenter.present(received('rolling-back'));
    await t.presenter.present(received('rolling-back'));
    await t.presenter.present(received('already-rolling-back'));

    // Assess
    expect(t.chat.texts()).toEqual([
      ':rotating_light: Alert *HighErrorRate* (critical) fired: rolling back.\n5xx at 12% &lt;!channel&gt; look · <http://prometheus:9090/graph?g0.expr=x&amp;g0.tab=1|source>',
    ]);
  });

  it('tells a different alert during a rollback quietly, and a resolved one', async () => {
    // Prepare
    const t = await setUp();
    const other = {
      ...ALERT,
      fingerprint: 'other',
      name: 'Latency <!here>',
      summary: undefined,
      generatorURL: 'javascript:alert(1)',
    } as AlertFacts;

    // Act
    await t.presenter.present({
      type: 'alert-received',
      service: SERVICE,
      run: 1,
      alert: other,
      action: 'already-rolling-back',
    });
    await t.presenter.present({
      type: 'alert-resolved',
      service: SERVICE,
      run: 1,
      alert: { ...ALERT, status: 'resolved', endsAt: '2025-03-04T10:34:00.000Z' },
    });

    // Assess
    expect(t.chat.texts()).toEqual([
      ':rotating_light: Alert *Latency &lt;!here&gt;* (critical) fired too; the rollback under way covers it.',
      ':white_check_mark: Alert *HighErrorRate* (critical) resolved after 5 min.',
    ]);
  });

  it('offers an alert with Roll back and Preview rollback buttons and the stored snapshot', async () => {
    // Prepare
    const t = await setUp();
    await t.store.saveSnapshot(1, 'latest', aSnapshot({ service: SERVICE }));

    // Act
    await t.presenter.present(received('offered'));

    // Assess
    const [post] = t.chat.threadPosts();
    const actions = post?.message.blocks?.find((b) => b.type === 'actions');
    const ids = actions?.type === 'actions' ? actions.elements.map((e) => ('action_id' in e ? e.action_id : '')) : [];
    expect(ids).toEqual([ACTIONS.rollback, ACTIONS.previewRollback]);
    expect(post?.message.text).toContain('fired for production/product-service release #1. Roll back?');
    expect(allText(post?.message)).not.toContain('<!channel>');
    expect(allText(post?.message)).toContain('Traffic:');
    expect(post?.message.blocks).toHaveLength(5);
  });

  it('names the alert, not a person, when an alert rolled the release back', async () => {
    // Prepare
    const t = await setUp();
    await t.store.createExecution(anExecution());

    // Act
    await t.presenter.present({
      type: 'rollback-requested',
      service: SERVICE,
      run: 1,
      by: 'alertmanager',
      cause: 'alert',
      execution: 'rollback',
    });

    // Assess
    expect(t.chat.texts()).toEqual([
      ':rewind: Alert *HighErrorRate* (critical) rolled back production/product-service release #1: all traffic goes to the primary now, and Flagger fails the canary at its next check.',
    ]);
  });
});
