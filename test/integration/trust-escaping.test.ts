import { ACTIONS, REJECT_VIEW } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness } from '../../testkit/bot';
import { parsedTexts } from '../support/slack-texts';

const SERVICE = 'production/product-service';
const event = (message: string, type = 'Normal') =>
  payload('Progressing', 'rev-1', { eventMessage: message, eventType: type, timestamp: String(Date.now()) });
const INJECTED = '<!channel> <@U0EVIL00001> <!subteam^S0EVIL> <http://evil.example|Approve here>';

describe('Local server: nobody speaks in the bot’s voice, and history shows what mattered', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.stop();
  });

  it('escapes Flagger event texts, the deployer, a pause reason and a reject reason in the status message and the approval request', async () => {
    // Arrange: Flagger names a hostile deployer and sends a Warning that quotes another webhook's body
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', { deployer: '<!here>' }));
    await h.flagger('event', event(`Halt advancement: webhook said ${INJECTED}`, 'Warning'));
    await h.command(`pause ${SERVICE} ${INJECTED}`, 'U0APPROVER1');
    await h.command(`resume ${SERVICE}`, 'U0APPROVER1');
    const meta = JSON.stringify({ ...JSON.parse(buttonValue(h.slack, ACTIONS.reject)), c: 'C0RELEASES1' });

    // Act
    const rejected = await h.submitView(REJECT_VIEW, meta, INJECTED, 'U0APPROVER2');

    // Assess: no message the bot posted or edited (status, request, thread replies, answers) carries foreign markup
    expect(rejected.status).toBe(200);
    const rendered = ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].flatMap((m) => h.slack.called(m));
    const texts = rendered.flatMap((c) => [String(c.args.text), ...parsedTexts(c.args.blocks)]);
    const all = texts.join('\n');
    expect(all).toContain('webhook said &lt;!channel&gt; &lt;@U0EVIL00001&gt;');
    expect(all).toContain(':no_entry: Rejected by <@U0APPROVER2>: &lt;!channel&gt;');
    expect(all).toContain('&lt;http://evil.example|Approve here&gt;');
    expect(all).toContain('deployed by &lt;!here&gt;');
    expect(all).toContain('Reason: &lt;!channel&gt;'); // the thread reply announcing the rejection
    for (const token of ['<!channel>', '<!here>', '<@U0EVIL00001>', '<!subteam^S0EVIL>', '<http'])
      expect(all).not.toContain(token);
  });

  it('echoes a mistyped command escaped', async () => {
    // Act
    const answer = await h.command('status <!channel>', 'U0SOMEONE1');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('&lt;!channel&gt;');
    expect(answer.text).not.toContain('<!channel>');
  });

  it('shows the accepted approval and one grouped line after 300 refused clicks by a stranger, within 3 s', async () => {
    // Arrange: one approval, then a stranger clicks Approve 300 times on the same (now approved) request
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const value = buttonValue(h.slack, ACTIONS.approve);
    await h.click(ACTIONS.approve, value, 'U0APPROVER1');
    for (let i = 0; i < 300; i++) await h.click(ACTIONS.approve, value, 'U0STRANGER');

    // Act
    const started = Date.now();
    const answer = await h.command(`history ${SERVICE}`, 'U0SOMEONE1');
    const took = Date.now() - started;

    // Assess
    expect(answer.status).toBe(200);
    expect(took).toBeLessThan(3000);
    const text = (JSON.parse(answer.text) as { text: string }).text;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/<@U0APPROVER1> approve confirm-promotion #1: accepted, approval 1\/1/);
    const strangerLines = text.split('\n').filter((line) => line.includes('U0STRANGER'));
    expect(strangerLines).toEqual([
      expect.stringMatching(
        /^• <@U0STRANGER> tried to approve 300 times \(from .+ to .+\): refused, you are not an approver for production\/product-service \(approvers: @U0APPROVER1, @U0APPROVER2, @S0SREGROUP\)/,
      ),
    ]);
    const audit = await h.bot.deps.store.listAudit(SERVICE, 1000);
    expect(audit.filter((a) => a.actor === 'U0STRANGER')).toHaveLength(300);
  }, 60_000);
});
