import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import { fitSection, historyText, listText, statusText } from '../../shared/slack/query-answers';
import type { Deps } from '../../shared/usecases/deps';
import { groupAttempts, history, listServices, status } from '../../shared/usecases/queries';
import { anAudit, aPolicy, aRun } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const second = (n: number) =>
  `2025-03-04T10:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}.000Z`;

function depsWith(store: MemoryStore, channel = 'C0RELEASES'): Deps {
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, aPolicy({ service: SERVICE, channel })]]),
    clusters: {},
    ...sectionDefaults(),
  };
  return { config, store } as unknown as Deps;
}

const refusedClick = (n: number, actor = 'U0STRANGER') =>
  anAudit({
    service: SERVICE,
    at: second(n),
    actor,
    outcome: 'refused',
    detail: `not an approver for ${SERVICE}`,
  });

describe('Function: groupAttempts', () => {
  it('groups refused attempts per actor, action, outcome and detail, counting each and keeping first and last time', () => {
    // Arrange
    const entries = [
      refusedClick(3),
      refusedClick(1),
      refusedClick(2),
      refusedClick(4, 'U0OTHER'),
      anAudit({ service: SERVICE, at: second(5), actor: 'U0STRANGER', action: 'reject', outcome: 'refused' }),
      anAudit({ service: SERVICE, at: second(6), outcome: 'duplicate', detail: 'approved again; counted once' }),
    ];

    // Act
    const groups = groupAttempts(entries);

    // Assert
    expect(groups.map((g) => [g.actor, g.action, g.outcome, g.count, g.firstAt, g.lastAt])).toEqual([
      ['U0APPROVER', 'approve', 'duplicate', 1, second(6), second(6)],
      ['U0STRANGER', 'reject', 'refused', 1, second(5), second(5)],
      ['U0OTHER', 'approve', 'refused', 1, second(4), second(4)],
      ['U0STRANGER', 'approve', 'refused', 3, second(1), second(3)],
    ]);
  });

  it('leaves accepted entries out: they are never folded into a group', () => {
    // Act
    const groups = groupAttempts([anAudit({ service: SERVICE }), refusedClick(1)]);

    // Assert
    expect(groups).toHaveLength(1);
    expect(groups[0]?.outcome).toBe('refused');
  });
});

describe('Function: history', () => {
  it('shows an accepted approval and one grouped line for 300 refused clicks made after it', async () => {
    // Arrange
    const store = new MemoryStore();
    await store.startRun(aRun({ service: SERVICE }), 0);
    await store.appendAudit(anAudit({ service: SERVICE, at: second(0), actor: 'U0ALICE', detail: 'approval 1/1' }));
    for (let i = 1; i <= 300; i++) await store.appendAudit(refusedClick(i));

    // Act
    const text = historyText(await history(depsWith(store), SERVICE));

    // Assert
    expect(text).toContain('<@U0ALICE> approve confirm-promotion #1: accepted, approval 1/1');
    const refusals = text.split('\n').filter((line) => line.includes('U0STRANGER'));
    expect(refusals).toEqual([
      `• <@U0STRANGER> tried to approve 300 times (from 2025-03-04 10:00:01 to 2025-03-04 10:05:00): refused, not an approver for ${SERVICE}`,
    ]);
  });

  it('stays within 3000 characters and keeps every decision when attempts and details are long and varied', async () => {
    // Arrange
    const store = new MemoryStore();
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 10; i++)
      await store.appendAudit(anAudit({ service: SERVICE, at: second(i), actor: 'U0ALICE', detail: `ok ${i}` }));
    for (let i = 0; i < 400; i++)
      await store.appendAudit(anAudit({ ...refusedClick(100 + i, `U0USER${i % 40}`), detail: `${i % 7} ${long}` }));

    // Act
    const text = historyText(await history(depsWith(store), SERVICE));

    // Assert
    expect(text.length).toBeLessThanOrEqual(3000);
    for (let i = 0; i < 10; i++) expect(text).toContain(`accepted, ok ${i}`);
    expect(text).toContain('Refused and repeated attempts, grouped');
  });

  it('escapes details and actors that are not user IDs', async () => {
    // Arrange
    const store = new MemoryStore();
    await store.appendAudit(anAudit({ service: SERVICE, actor: '<!channel>', detail: 'see <http://evil.example|x>' }));

    // Act
    const text = historyText(await history(depsWith(store), SERVICE));

    // Assert
    expect(text).toContain(
      '&lt;!channel&gt; approve confirm-promotion #1: accepted, see &lt;http://evil.example|x&gt;',
    );
  });
});

describe('Function: status and listServices', () => {
  it('escape the pause reason and show a channel configured by name as text, not a broken link', async () => {
    // Arrange
    const store = new MemoryStore();
    await store.startRun(aRun({ service: SERVICE }), 0);
    await store.setPaused(SERVICE, { by: 'U0BOB', at: 'x', reason: 'DB <!here>' });

    // Act
    const shown = statusText(await status(depsWith(store, '#releases'), SERVICE));
    const list = listText(await listServices(depsWith(store, '#releases')));

    // Assert
    expect(shown).toContain('Paused by <@U0BOB>: DB &lt;!here&gt;');
    expect(list).toContain(`• *${SERVICE}* (#releases): #1 Waiting, canary weight 0%`);
  });
});

describe('Function: fitSection', () => {
  it('drops lines from the end of the last section first, keeps headings, and says how many', () => {
    // Arrange
    const line = (n: number) => `• ${n} ${'y'.repeat(290)}`;

    // Act
    const text = fitSection(['*A*', line(1)], ['*B*', ...Array.from({ length: 20 }, (_, i) => line(i + 2))]);

    // Assert
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toContain('*B*');
    expect(text).toContain('• 1 ');
    expect(text).toMatch(/_…\d+ more lines not shown; the audit trail keeps them all\._$/);
  });
});

describe('Use case: the queries return views (plain data)', () => {
  it('status: the current run, its gates with counts, pause and rollback', async () => {
    // Arrange
    const store = new MemoryStore();
    await store.startRun(
      aRun({
        service: SERVICE,
        phase: 'Progressing',
        weight: 20,
        rollback: { by: 'U0BOB', at: second(1), reason: 'bad' },
      }),
      0,
    );
    await store.setPaused(SERVICE, { by: 'U0ALICE', at: second(2), reason: 'hold' });

    // Act
    const view = await status(depsWith(store), SERVICE);

    // Assert
    expect(view).toEqual({
      code: 'current',
      run: { service: SERVICE, number: 1 },
      state: 'Progressing',
      weight: 20,
      gates: [],
      paused: { by: 'U0ALICE', reason: 'hold' },
      rollbackBy: 'U0BOB',
    });
  });

  it('status and history: say a service is not configured, and status that no release was seen', async () => {
    // Arrange
    const store = new MemoryStore();

    // Act
    const unknown = await status(depsWith(store), 'other/service');
    const none = await status(depsWith(store), SERVICE);
    const past = await history(depsWith(store), 'other/service');

    // Assert
    expect(unknown).toEqual({ code: 'not-configured', service: 'other/service' });
    expect(none).toEqual({ code: 'no-release', service: SERVICE });
    expect(past).toEqual({ code: 'not-configured', service: 'other/service' });
  });

  it('list: every configured service with its current run, or none', async () => {
    // Arrange
    const store = new MemoryStore();

    // Act
    const view = await listServices(depsWith(store));

    // Assert
    expect(view).toEqual({ services: [{ service: SERVICE, channel: 'C0RELEASES' }] });
  });

  it('history: runs, accepted decisions and grouped attempts, read from separate slices', async () => {
    // Arrange
    const store = new MemoryStore();
    await store.startRun(aRun({ service: SERVICE }), 0);
    await store.appendAudit(anAudit({ service: SERVICE, at: second(1) }));
    for (let i = 0; i < 3; i++) await store.appendAudit(refusedClick(i + 2));

    // Act
    const view = await history(depsWith(store), SERVICE);

    // Assert
    expect(view).toMatchObject({
      code: 'history',
      runs: [{ number: 1, state: 'Waiting' }],
      decisions: [{ actor: 'U0APPROVER', outcome: 'accepted' }],
      attempts: [{ actor: 'U0STRANGER', count: 3 }],
    });
    expect(view).not.toHaveProperty('attemptsRead');
  });
});
