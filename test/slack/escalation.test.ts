import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { ReleaseEvent } from '../../shared/domain/events';
import type { Gate } from '../../shared/domain/gate';
import type { Chat, ChatMessage } from '../../shared/ports/chat';
import { statusMessage } from '../../shared/slack/blocks';
import { escalationReply } from '../../shared/slack/escalation';
import { SlackThreadPresenter } from '../../shared/slack/thread-presenter';
import { aGate, aPolicy, aRun } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const TO = { users: ['U0ONCALL01'], groups: ['S0SRE00001'] };
const event: Extract<ReleaseEvent, { type: 'gate-escalated' }> = {
  type: 'gate-escalated',
  service: SERVICE,
  run: 1,
  key: 'confirm-promotion',
  gate: 'confirm-promotion',
  attempt: 1,
  to: TO,
  waitedMs: 30 * 60_000,
  count: 1,
  quorum: 2,
  expiresAt: '2025-03-04T11:00:00.000Z',
};

describe('Function: escalationReply', () => {
  it('mentions the groups and users by ID, says how long it waited, the count and the expiry', () => {
    const reply = escalationReply(event);

    expect(reply).toEqual({
      key: 'escalated:confirm-promotion#1',
      text:
        ':rotating_light: <!subteam^S0SRE00001> <@U0ONCALL01> The request to promote the canary to primary has ' +
        'waited 30 min without a decision (1/2 approvals). Approve or reject it above before it expires at 11:00 UTC.',
    });
  });

  it('never makes a broadcast or a mention of text that is not a Slack ID', () => {
    const reply = escalationReply({ ...event, to: { users: ['<!channel>', 'here'], groups: ['!here', 'S0 <x>'] } });

    expect(reply.text).not.toMatch(/<!channel>|<!here>|<!subteam|<@/);
    expect(reply.text).toContain('&lt;!channel&gt;');
  });
});

/** A Slack that hands out timestamps and keeps what was posted, and where. */
function recordingChat() {
  const posts: { channel: string; text: string; thread?: string }[] = [];
  const chat: Chat = {
    post: async (channel: string, message: ChatMessage, thread?: { ts: string }) => {
      posts.push({ channel, text: message.text, ...(thread ? { thread: thread.ts } : {}) });
      return { channel, ts: `1700000000.00000${posts.length}` };
    },
    update: async () => {},
    postEphemeral: async () => {},
    upload: async () => {},
  };
  return { chat, posts };
}

async function setUp(gateOverrides: Parameters<typeof aGate>[0] = {}) {
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, aPolicy({ service: SERVICE, channel: 'C0RELEASES1' })]]),
    clusters: {},
    ...sectionDefaults(),
  };
  const store = new MemoryStore();
  await store.startRun(aRun({ service: SERVICE, state: 'progressing', phase: 'WaitingPromotion' }), 0);
  await store.openGate(
    aGate({ service: SERVICE, escalation: { attempt: 1, at: '2025-03-04T10:30:00.000Z', to: TO }, ...gateOverrides }),
  );
  const { chat, posts } = recordingChat();
  const presenter = new SlackThreadPresenter({ config, store, chat, now: () => new Date('2025-03-04T10:30:01.000Z') });
  const mentions = () => posts.filter((p) => p.text.includes('<!subteam^S0SRE00001>'));
  return { store, posts, presenter, mentions };
}

describe('Class: SlackThreadPresenter (gate-escalated)', () => {
  it('posts the mention in the release thread once, however often the event is delivered, and marks it posted', async () => {
    const { store, posts, presenter, mentions } = await setUp();

    await presenter.present(event);
    await presenter.present(event);

    expect(mentions()).toHaveLength(1);
    expect(posts[0]?.thread).toBeUndefined(); // the status message, the thread's parent
    expect(mentions()[0]?.thread).toBe('1700000000.000001');
    expect((await store.getGate(SERVICE, 1, 'confirm-promotion'))?.escalation?.posted).toBe(true);
  });

  it.each([
    ['approved', { status: 'approved' as const }],
    ['re-armed', { attempt: 2 }],
    ['expired', { expiresAt: '2025-03-04T10:30:00.000Z' }],
  ])('posts nothing when the request was %s before the job ran', async (_what, overrides) => {
    const { presenter, mentions } = await setUp(overrides);

    await presenter.present(event);

    expect(mentions()).toEqual([]);
  });
});

describe('Function: statusMessage (an escalated request)', () => {
  const run = aRun({ service: SERVICE, state: 'progressing', phase: 'WaitingPromotion' });
  const escalation = { attempt: 1, at: '2025-03-04T10:30:00.000Z', to: TO };
  const lineOf = (gate: Gate) =>
    JSON.stringify(statusMessage(aPolicy({ service: SERVICE }), run, [gate]).blocks)
      .split('\\n')
      .find((line) => line.includes('Promote the canary to primary')) ?? '';

  it('says when the waiting request was escalated, without mentioning anyone again', () => {
    const line = lineOf(aGate({ service: SERVICE, escalation }));

    expect(line).toContain('escalated <!date^');
    expect(line).toContain('10:30 UTC');
    expect(line).not.toMatch(/<!subteam|<@/);
  });

  it('says nothing of an escalation of an earlier attempt, or once the request is decided', () => {
    const rearmed = lineOf(aGate({ service: SERVICE, attempt: 2, escalation }));
    const approved = lineOf(aGate({ service: SERVICE, status: 'approved', approvals: { U0ALICE: 'x' }, escalation }));

    expect(rearmed).toContain('pending (0/2)');
    expect([rearmed, approved].filter((line) => line.includes('escalated'))).toEqual([]);
  });
});
