import fc from 'fast-check';
import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { AuditEntry } from '../../shared/domain/audit';
import type { Gate } from '../../shared/domain/gate';
import type { Run } from '../../shared/domain/release';
import type { Snapshot } from '../../shared/domain/snapshot';
import type { ChatMessage } from '../../shared/ports/chat';
import type { ServiceRecord } from '../../shared/ports/store';
import { approvalRequest, rejectReasonView, rollbackConfirmation, statusMessage } from '../../shared/slack/blocks';
import { HELP, parseCommand } from '../../shared/slack/commands';
import { channelMention, clipMrkdwn, code, groupMention, mention, slackDate } from '../../shared/slack/mrkdwn';
import { historyText, listText, statusText } from '../../shared/slack/query-answers';
import { snapshotBlocks, snapshotText } from '../../shared/slack/snapshot-blocks';
import type { Deps } from '../../shared/usecases/deps';
import { history, listServices, status } from '../../shared/usecases/queries';
import { aGate, anAudit, aPolicy, aRun, aSnapshot } from '../../testkit/builders';
import { parsedTexts } from '../support/slack-texts';

describe('Function: mention, groupMention, channelMention', () => {
  it('mentions only what looks like an ID and shows anything else as escaped text', () => {
    expect(mention('U0ALICE')).toBe('<@U0ALICE>');
    expect(mention('W0GRID01')).toBe('<@W0GRID01>');
    expect(mention('U0X><!channel')).toBe('U0X&gt;&lt;!channel');
    expect(mention('alice')).toBe('alice');
    expect(groupMention('S0SRE')).toBe('<!subteam^S0SRE>');
    expect(groupMention('S0SRE>|x')).toBe('S0SRE&gt;|x');
    expect(channelMention('C0RELEASES')).toBe('<#C0RELEASES>');
    expect(channelMention('#releases')).toBe('#releases');
  });
});

describe('Function: code', () => {
  it('escapes, replaces backticks so the span cannot be closed early, and caps the length', () => {
    expect(code('a`<!here>`b')).toBe("`a'&lt;!here&gt;'b`");
    expect(code('x'.repeat(500))).toHaveLength(102);
  });
});

describe('Function: slackDate', () => {
  it('makes a date token from a time, and escaped text from a string that is not one', () => {
    expect(slackDate('2025-03-04T10:00:00.000Z', '{time}', '10:00 UTC')).toBe('<!date^1741082400^{time}|10:00 UTC>');
    expect(slackDate('<!channel>', '{time}', 'x')).toBe('&lt;!channel&gt;');
  });
});

describe('Function: clipMrkdwn', () => {
  it('keeps text within the limit unchanged', () => {
    expect(clipMrkdwn('short', 10)).toBe('short');
  });

  it('never cuts a mention or an entity in half', () => {
    const cutMention = clipMrkdwn(`${'a'.repeat(15)}<@U0ALICE> and more`, 20);
    const cutEntity = clipMrkdwn(`${'a'.repeat(17)}&amp; and more`, 20);

    expect(cutMention).toBe(`${'a'.repeat(15)}…`);
    expect(cutEntity).toBe(`${'a'.repeat(17)}…`);
  });
});

/**
 * Property: whatever people and Flagger put into a run, a gate, a service record, a snapshot or an audit entry,
 * no message the bot posts carries a mention, a channel-wide ping or a link that the bot did not make itself.
 */
describe('Property: nobody speaks in the bot’s voice', () => {
  const INJECTIONS = [
    '<!channel>',
    '<!here>',
    '<!everyone>',
    '<@U0EVIL1>',
    '<@W0EVIL2|the boss>',
    '<!subteam^S0EVIL>',
    '<#C0EVIL>',
    '<http://evil.example|Approve here>',
    '<https://evil.example>',
    '<mailto:a@evil.example|mail>',
    '<!date^1^{time}|x>',
    '&lt;!channel&gt;',
    '<',
    '>',
    '&',
    '`',
    '\n[slack C0RELEASES] new message 1.000001\n',
  ];
  const untrusted = fc
    .array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...INJECTIONS)), { maxLength: 6 })
    .map((parts) => parts.join(''));
  /** A field that should hold a user ID: a real-looking one the bot may mention, or anything at all. */
  const userField = fc.oneof(fc.constantFrom('U0DEPLOYER', 'W0GRID0001'), untrusted);
  const timeField = fc.oneof(fc.constant('2025-03-04T10:00:00.000Z'), untrusted);

  /** The tokens the bot itself makes: the policy's mentions, dates, the config's channel. */
  const BOT_TOKENS = [
    /<@(U0ALICE|U0BOB)>/g,
    /<!subteam\^S0SRE>/g,
    /<#C0RELEASES>/g,
    /<!date\^-?\d+\^\{[a-z_]+\}( \{[a-z_]+\})?\|[^<>]*>/g,
  ];
  /**
   * Whether a text has markup the bot did not make. Besides its own tokens, the bot may mention exactly the values
   * of user-ID fields (deployer, rejecter, approvers...), since those are meant to be mentions when they are IDs.
   */
  const foreignMarkup =
    (ids: readonly string[] = []) =>
    (text: string): boolean => {
      let rest = BOT_TOKENS.reduce((t, re) => t.replace(re, ''), text);
      for (const id of ids) rest = rest.split(`<@${id}>`).join('');
      return rest.includes('<');
    };

  const messageTexts = (message: ChatMessage): string[] => [message.text, ...parsedTexts(message.blocks ?? [])];

  const runArb = fc.record({
    phase: untrusted,
    checksum: untrusted,
    deployedBy: userField,
    rollbackBy: userField,
    rollbackReason: untrusted,
    timeline: fc.array(fc.record({ at: timeField, text: untrusted, warning: fc.boolean() }), { maxLength: 8 }),
    startedAt: timeField,
  });
  const gateArb = fc.record({
    key: untrusted,
    evidence: untrusted,
    status: fc.constantFrom('pending' as const, 'approved' as const, 'rejected' as const),
    rejectionBy: userField,
    rejectionReason: untrusted,
    approvers: fc.array(userField, { maxLength: 3 }),
    expiresAt: timeField,
  });
  const snapshotArb = fc.record({
    service: untrusted,
    source: untrusted,
    splitNote: untrusted,
    canaryReason: untrusted,
    primaryReason: untrusted,
    takenAt: timeField,
  });
  const auditArb = fc.record({
    actor: userField,
    detail: untrusted,
    gate: untrusted,
    action: fc.oneof(fc.constantFrom<AuditEntry['action']>('approve', 'reject'), untrusted),
    outcome: fc.constantFrom<AuditEntry['outcome']>('accepted', 'refused', 'duplicate'),
    at: timeField,
  });

  type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
  const SERVICE = 'production/product-service';
  const policy = aPolicy({ service: SERVICE });

  function build(r: ValueOf<typeof runArb>, g: ValueOf<typeof gateArb>, service = SERVICE) {
    const run: Run = aRun({
      service,
      state: 'progressing',
      phase: r.phase as Run['phase'],
      checksum: r.checksum,
      deployedBy: r.deployedBy,
      deployers: [r.deployedBy],
      rollback: { by: r.rollbackBy, at: '2025-03-04T10:00:00.000Z', reason: r.rollbackReason },
      timeline: r.timeline,
      startedAt: r.startedAt,
      weight: 30,
    });
    const gate: Gate = aGate({
      service,
      key: g.key,
      evidence: g.evidence,
      status: g.status,
      approvals: Object.fromEntries(g.approvers.map((u) => [u, 'x'])),
      expiresAt: g.expiresAt,
      ...(g.status === 'rejected'
        ? { rejection: { by: g.rejectionBy, at: '2025-03-04T10:00:00.000Z', reason: g.rejectionReason } }
        : {}),
    });
    return { run, gate };
  }

  function snapshotOf(s: ValueOf<typeof snapshotArb>): Snapshot {
    const base = aSnapshot();
    const [success, latency] = base.metrics;
    return {
      ...base,
      service: s.service,
      source: s.source,
      splitNote: s.splitNote,
      takenAt: s.takenAt,
      metrics: [
        ...(success
          ? [{ ...success, canary: { value: null, reason: s.canaryReason }, verdict: 'no-data' as const }]
          : []),
        ...(latency ? [{ ...latency, primary: { value: null, reason: s.primaryReason } }] : []),
      ],
    };
  }

  it('holds for the status message, approval request, rollback confirmation, reject dialog and snapshot', () => {
    fc.assert(
      fc.property(
        runArb,
        gateArb,
        snapshotArb,
        userField,
        untrusted,
        untrusted,
        (r, g, s, pausedBy, pausedReason, serviceName) => {
          const { run, gate } = build(r, g, serviceName);
          const snapshot = snapshotOf(s);
          const record: ServiceRecord = {
            service: serviceName,
            runCount: 1,
            paused: { by: pausedBy, at: 'x', reason: pausedReason },
          };
          const texts = [
            ...messageTexts(statusMessage(policy, run, [gate], record, snapshot)),
            ...messageTexts(approvalRequest(policy, run, gate, 1, snapshot)),
            ...messageTexts(approvalRequest(policy, run, gate, 0)),
            ...messageTexts(rollbackConfirmation(run)),
            ...parsedTexts(rejectReasonView({ s: serviceName, r: 1, g: g.key, a: 1 })),
            ...parsedTexts(snapshotBlocks(snapshot)),
            snapshotText(snapshot),
          ];
          const ids = [r.deployedBy, r.rollbackBy, g.rejectionBy, ...g.approvers, pausedBy];
          expect(texts.filter(foreignMarkup(ids))).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds for what /canary answers: parse errors, help, list, status and history', async () => {
    const config: BotConfig = {
      file: 'release-bot.yaml',
      services: new Map([[SERVICE, policy]]),
      clusters: {},
      ...sectionDefaults(),
    };
    await fc.assert(
      fc.asyncProperty(
        runArb,
        gateArb,
        fc.array(auditArb, { maxLength: 12 }),
        userField,
        untrusted,
        untrusted,
        async (r, g, audits, pausedBy, pausedReason, typed) => {
          const store = new MemoryStore();
          const { run, gate } = build(r, g);
          await store.startRun(run, 0);
          await store.openGate(gate);
          await store.setPaused(SERVICE, { by: pausedBy, at: 'x', reason: pausedReason });
          for (const a of audits)
            await store.appendAudit(
              anAudit({ ...a, action: a.action as AuditEntry['action'], service: SERVICE, via: a.gate }),
            );
          const deps = { config, store } as unknown as Deps;
          const parsed = [parseCommand(typed, config), parseCommand(`status ${typed}`, config)];
          const texts = [
            ...parsed.map((p) => ('error' in p ? p.error : '')),
            HELP,
            listText(await listServices(deps)),
            statusText(await status(deps, SERVICE)),
            historyText(await history(deps, SERVICE)),
          ];
          const ids = [r.rollbackBy, pausedBy, ...audits.map((a) => a.actor)];
          expect(texts.filter(foreignMarkup(ids))).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('can fail: the check finds markup the bot did not make', () => {
    expect(foreignMarkup(['U0DEPLOYER'])('<@U0DEPLOYER> approved <!date^1^{time}|10:00 UTC>')).toBe(false);
    expect(foreignMarkup()('<@U0DEPLOYER> approved')).toBe(true);
    expect(foreignMarkup()('<@U0ALICE> approved <!channel>')).toBe(true);
    expect(foreignMarkup()('see <http://evil.example|the dashboard>')).toBe(true);
    expect(
      parsedTexts([
        { type: 'plain_text', text: '<!here>' },
        { type: 'mrkdwn', text: '<!here>' },
      ]),
    ).toEqual(['<!here>']);
  });
});
