import { WebClient } from '@slack/web-api';
import { SlackDirectory } from '../../shared/adapters/slack-chat';
import { FakeSlack } from '../../testkit/fake-slack';

const BOUND_MS = 1000;
const TTL_MS = 60_000;
/** 12:03 UTC on a fixed day, so the caveat's clock time is known. */
const T0 = Date.parse('2025-03-04T12:03:00Z');

describe('SlackDirectory: user-group membership that never throws and never keeps Slack waiting', () => {
  let slack: FakeSlack;
  let client: WebClient;
  let clock: number;

  beforeEach(async () => {
    slack = new FakeSlack();
    client = new WebClient('xoxb-test-token', { slackApiUrl: await slack.start() });
    clock = T0;
    slack.groups.set('S0SRE', ['U0ONCALL01']);
    slack.groups.set('S0DBA', ['U0DBA00001']);
  });

  afterEach(async () => {
    await slack.stop();
  });

  const directory = () => new SlackDirectory(client, { ttlMs: TTL_MS, timeoutMs: BOUND_MS, now: () => clock });
  const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = Date.now();
    const value = await work();
    return { value, ms: Date.now() - started };
  };

  it('answers from Slack, without a caveat, when Slack answers', async () => {
    const answer = await directory().groupsOf('U0ONCALL01', ['S0SRE', 'S0DBA']);

    expect(answer).toEqual({ groups: ['S0SRE'] });
  });

  it('serves a fresh membership from its cache without asking Slack again', async () => {
    const dir = directory();
    await dir.groupsOf('U0ONCALL01', ['S0SRE']);
    clock += TTL_MS - 1;

    const answer = await dir.groupsOf('U0ONCALL01', ['S0SRE']);

    expect(answer).toEqual({ groups: ['S0SRE'] });
    expect(slack.called('usergroups.users.list')).toHaveLength(1);
  });

  it('asks the groups in parallel: two groups that never answer take one bound, not two', async () => {
    slack.faults.set('usergroups.users.list', { delayMs: 5000 });

    const { value, ms } = await timed(() => directory().groupsOf('U0DBA00001', ['S0SRE', 'S0DBA']));

    expect(value.groups).toEqual([]);
    // One after the other would take two bounds (2 s); the margin is for a loaded machine.
    expect(ms).toBeLessThan(2 * BOUND_MS - 200);
  });

  it('answers within the bound when Slack is slow, with no membership and a caveat when none is known', async () => {
    slack.faults.set('usergroups.users.list', { delayMs: 5000 });

    const { value, ms } = await timed(() => directory().groupsOf('U0ONCALL01', ['S0SRE']));

    expect(ms).toBeLessThan(BOUND_MS + 1500); // Slack takes 5 s here
    expect(value.groups).toEqual([]);
    expect(value.caveat).toBe('group S0SRE could not be checked: Slack did not answer in time.');
  });

  it('uses the last known membership after the TTL when Slack is slow, and says as of when', async () => {
    const dir = directory();
    await dir.groupsOf('U0ONCALL01', ['S0SRE']);
    clock += TTL_MS + 1;
    slack.faults.set('usergroups.users.list', { delayMs: 5000 });

    const { value, ms } = await timed(() => dir.groupsOf('U0ONCALL01', ['S0SRE']));

    expect(ms).toBeLessThan(BOUND_MS + 1500); // Slack takes 5 s here
    expect(value).toEqual({
      groups: ['S0SRE'],
      caveat: 'group S0SRE membership as of 12:03 UTC: Slack did not answer in time.',
    });
  });

  it.each([
    ['an HTTP 500', { status: 500 }, 'Slack answered HTTP 500'],
    ['ok:false', { error: 'missing_scope' }, 'Slack answered missing_scope'],
    ['a rate limit', { status: 429 }, 'Slack rate-limited the lookup'],
  ])(
    'falls back to the last known membership when Slack answers %s, at once and without retrying',
    async (_case, fault, reason) => {
      const dir = directory();
      await dir.groupsOf('U0ONCALL01', ['S0SRE']);
      clock += TTL_MS + 1;
      slack.faults.set('usergroups.users.list', fault);

      const { value, ms } = await timed(() => dir.groupsOf('U0ONCALL01', ['S0SRE']));

      expect(ms).toBeLessThan(BOUND_MS);
      expect(value).toEqual({ groups: ['S0SRE'], caveat: `group S0SRE membership as of 12:03 UTC: ${reason}.` });
      expect(slack.called('usergroups.users.list')).toHaveLength(2);
    },
  );

  it('counts a failing group with no known membership as no membership, and asks Slack again next time', async () => {
    slack.faults.set('usergroups.users.list', { status: 500 });
    const dir = directory();

    const answer = await dir.groupsOf('U0ONCALL01', ['S0SRE']);
    slack.faults.delete('usergroups.users.list');
    const later = await dir.groupsOf('U0ONCALL01', ['S0SRE']);

    expect(answer).toEqual({
      groups: [],
      caveat: 'group S0SRE could not be checked: Slack answered HTTP 500.',
    });
    expect(later).toEqual({ groups: ['S0SRE'] });
  });

  it('never throws, even when Slack cannot be reached at all', async () => {
    await slack.stop();

    const answer = await directory().groupsOf('U0ONCALL01', ['S0SRE', 'S0DBA']);

    expect(answer.groups).toEqual([]);
    expect(answer.caveat).toContain('group S0SRE could not be checked: Slack could not be reached');
    expect(answer.caveat).toContain('group S0DBA could not be checked');
  });

  it('keeps a bounded number of memberships for fallback, forgetting the oldest first', async () => {
    const dir = new SlackDirectory(client, { ttlMs: TTL_MS, timeoutMs: BOUND_MS, now: () => clock, maxGroups: 2 });
    slack.groups.set('S0THIRD', ['U0ONCALL01']);
    await dir.groupsOf('U0ONCALL01', ['S0SRE']);
    await dir.groupsOf('U0ONCALL01', ['S0DBA']);
    await dir.groupsOf('U0ONCALL01', ['S0THIRD']);
    clock += TTL_MS + 1;
    slack.faults.set('usergroups.users.list', { status: 500 });

    const forgotten = await dir.groupsOf('U0ONCALL01', ['S0SRE']);
    const kept = await dir.groupsOf('U0ONCALL01', ['S0THIRD']);

    expect(forgotten.caveat).toContain('group S0SRE could not be checked');
    expect(kept).toEqual({ groups: ['S0THIRD'], caveat: expect.stringContaining('S0THIRD membership as of 12:03') });
  });

  it('asks Slack once for simultaneous lookups of the same group', async () => {
    const dir = directory();

    await Promise.all(Array.from({ length: 10 }, () => dir.groupsOf('U0ONCALL01', ['S0SRE'])));

    expect(slack.called('usergroups.users.list')).toHaveLength(1);
  });
});
