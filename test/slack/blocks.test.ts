import { RUNBOOK_STEP_LIMIT } from '../../shared/config/runbooks';
import type { Gate } from '../../shared/domain/gate';
import type { ServicePolicy } from '../../shared/domain/policy';
import type { Run } from '../../shared/domain/release';
import { STEP_DETAIL_LIMIT } from '../../shared/domain/runbook';
import type { ChatMessage } from '../../shared/ports/chat';
import {
  ACTIONS,
  approvalRequest,
  type RequestRef,
  rejectReasonView,
  rollbackConfirmation,
  statusMessage,
} from '../../shared/slack/blocks';
import { runbookMessage } from '../../shared/slack/runbook-message';
import { aGate, aRun, aSnapshot, aPolicy as basePolicy } from '../../testkit/builders';

interface TextObject {
  type: string;
  text: string;
}
interface Confirm {
  title: TextObject;
  text: TextObject;
  confirm: TextObject;
  deny: TextObject;
  style?: string;
}
interface Element {
  type: string;
  text?: TextObject | string;
  action_id?: string;
  value?: string;
  style?: string;
  confirm?: Confirm;
}
interface Block {
  type: string;
  text?: TextObject;
  elements?: Element[];
}

const blocksOf = (message: ChatMessage): Block[] => (message.blocks ?? []) as Block[];
const buttonsOf = (message: ChatMessage): Element[] =>
  blocksOf(message)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.type === 'button');
const textOf = (message: ChatMessage): string =>
  blocksOf(message)
    .flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : ''))])
    .join('\n');

/** Slack's documented Block Kit limits, as a list of broken ones (empty when the message is valid). */
function limitViolations(message: ChatMessage): string[] {
  const broken: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) broken.push(what);
  };
  const blocks = blocksOf(message);
  check(message.text.trim().length > 0, 'text fallback is empty');
  check(message.text.length <= 40_000, 'text fallback longer than 40000');
  check(blocks.length <= 50, `${blocks.length} blocks (max 50)`);
  for (const [i, block] of blocks.entries()) {
    if (block.type === 'section') check((block.text?.text.length ?? 0) <= 3000, `section ${i} text > 3000`);
    if (block.type === 'context') {
      check((block.elements?.length ?? 0) <= 10, `context ${i} has more than 10 elements`);
      for (const e of block.elements ?? []) {
        check(typeof e.text === 'string' && e.text.length <= 3000, `context ${i} element text > 3000`);
      }
    }
    if (block.type === 'actions') {
      check((block.elements?.length ?? 0) <= 25, `actions ${i} has more than 25 elements`);
      for (const e of block.elements ?? []) {
        const label = typeof e.text === 'object' ? e.text.text : '';
        check((e.action_id?.length ?? 0) > 0 && (e.action_id?.length ?? 0) <= 255, `action_id of ${label}`);
        check((e.value?.length ?? 0) <= 2000, `button value of ${label} > 2000`);
        check(label.length > 0 && label.length <= 75, `button text "${label}" > 75`);
        if (e.confirm) {
          check(e.confirm.title.text.length <= 100, `confirm title of ${label} > 100`);
          check(e.confirm.text.text.length <= 300, `confirm text of ${label} > 300`);
          check(e.confirm.confirm.text.length <= 30, `confirm button of ${label} > 30`);
          check(e.confirm.deny.text.length <= 30, `deny button of ${label} > 30`);
        }
      }
    }
  }
  return broken;
}

const aPolicy = (overrides: Partial<ServicePolicy> = {}): ServicePolicy =>
  basePolicy({ service: 'payments/api', quorum: 2, approvalExpiry: 3_600_000, ...overrides });

const runningRun = (overrides: Partial<Run> = {}): Run =>
  aRun({ state: 'progressing', phase: 'Progressing', checksum: '6d8c9bd7c9f4a1b2', weight: 30, ...overrides });

/** The longest names Kubernetes allows a namespace (63) and an Istio-routed Service (63). */
const LONG_SERVICE = `${'n'.repeat(63)}/${'s'.repeat(63)}`;
const long = (n: number, seed = 'x') => seed.repeat(Math.ceil(n / seed.length)).slice(0, n);

describe('Function: statusMessage', () => {
  it('stays within Slack limits for an ordinary run', () => {
    // Arrange
    const run = runningRun();

    // Act
    const message = statusMessage(aPolicy(), run, [aGate({ status: 'approved', approvals: { U0ALICE: 'x' } })]);

    // Assert
    expect(limitViolations(message)).toEqual([]);
  });

  it('stays within Slack limits with long timelines, many gates and long reasons', () => {
    // Arrange
    const timeline = Array.from({ length: 40 }, (_, i) => ({
      at: `2025-03-04T10:${String(i).padStart(2, '0')}:00.000Z`,
      text: long(2000, `event ${i} `),
      warning: i % 2 === 0,
    }));
    const run = runningRun({
      service: LONG_SERVICE,
      timeline,
      deployedBy: 'U0DEPLOYER',
      rollback: { by: 'U0ALICE', at: '2025-03-04T10:30:00.000Z', reason: long(3000) },
    });
    const gates = Array.from({ length: 30 }, (_, i) =>
      aGate({
        key: `confirm-traffic-increase@${i}`,
        gate: 'confirm-traffic-increase',
        targetWeight: i,
        approvals: Object.fromEntries(Array.from({ length: 20 }, (_, u) => [`U0USER${u}`, 'x'])),
        status: 'approved',
      }),
    );
    const paused = { service: LONG_SERVICE, runCount: 1, paused: { by: 'U0BOB', at: 'x', reason: long(3000) } };

    // Act
    const message = statusMessage(
      aPolicy({ service: LONG_SERVICE, analysis: { stepWeight: 1, maxWeight: 100 } }),
      run,
      gates,
      paused,
    );

    // Assert
    expect(limitViolations(message)).toEqual([]);
  });

  it('says which release, its phase and canary weight, in the blocks and the fallback text', () => {
    // Arrange
    const run = runningRun({ number: 4, weight: 30 });

    // Act
    const message = statusMessage(aPolicy(), run, []);

    // Assert
    expect(message.text).toBe('payments/api release #4: Progressing, canary weight 30%');
    expect(textOf(message)).toContain('*payments/api release #4* · :large_blue_circle: Progressing');
    expect(textOf(message)).toContain('Canary weight 30%  0 → *10* → *20* → *30* → 40 → 50 → 100');
  });

  it.each([
    // Flagger goes 20, 40, 60 when stepWeight does not divide maxWeight (runCanary adds, capped at 100).
    { analysis: { stepWeight: 20, maxWeight: 50 }, weight: 40, line: '0 → *20* → *40* → 60 → 100' },
    { analysis: { stepWeights: [5, 10, 25, 50] }, weight: 10, line: '0 → *5* → *10* → 25 → 50 → 100' },
  ])('draws the weight steps Flagger takes for $analysis', ({ analysis, weight, line }) => {
    const message = statusMessage(aPolicy({ analysis }), runningRun({ weight }), []);

    expect(textOf(message)).toContain(`Canary weight ${weight}%  ${line}`);
  });

  it.each([
    { analysis: { iterations: 3 }, iteration: { done: 2, of: 3 }, line: 'Blue-green · iteration 2/3' },
    { analysis: { iterations: 10, match: true }, iteration: undefined, line: 'A/B testing · iteration 0/10' },
  ])('shows the iteration rather than weights for $line', ({ analysis, iteration, line }) => {
    const run = runningRun({ weight: 0, ...(iteration ? { iteration } : {}) });

    expect(textOf(statusMessage(aPolicy({ analysis }), run, []))).toContain(`Canary weight 0%  ${line}`);
  });

  it('says how often Flagger checks and how many failed checks roll back, when the Canary says so', () => {
    const run = runningRun({ analysis: { stepWeight: 10, maxWeight: 50, interval: '1m', threshold: 5 } });

    expect(textOf(statusMessage(aPolicy(), run, []))).toContain(
      'Flagger checks every 1m · rolls back after 5 failed checks',
    );
    expect(textOf(statusMessage(aPolicy(), runningRun(), []))).not.toContain('Flagger checks every');
  });

  it("follows the run's live analysis over the config's, and counts a finished blue-green as done", () => {
    const run = runningRun({ analysis: { iterations: 4 }, iteration: { done: 4, of: 4 } });
    const done = { ...run, state: 'ended' as const, outcome: 'succeeded' as const, phase: 'Succeeded' as const };

    expect(textOf(statusMessage(aPolicy(), run, []))).toContain('Blue-green · iteration 4/4');
    expect(textOf(statusMessage(aPolicy(), done, []))).toContain('Blue-green · iteration 4/4');
  });

  it('says an alert asked for the rollback, rather than showing Alertmanager as a person', () => {
    // Arrange
    const run = runningRun({
      rollback: { by: 'alertmanager', at: '2025-03-04T10:00:00.000Z', reason: 'alert HighErrorRate <!channel>' },
    });

    // Act
    const message = statusMessage(aPolicy(), run, []);

    // Assert
    expect(textOf(message)).toContain(':rewind: Rollback requested by an alert: alert HighErrorRate &lt;!channel&gt;');
  });

  it('shows the outcome of an ended run and marks the whole path after a promotion', () => {
    // Arrange
    const run = runningRun({ state: 'ended', outcome: 'succeeded', phase: 'Succeeded', weight: 50 });

    // Act
    const message = statusMessage(aPolicy(), run, []);

    // Assert
    expect(message.text).toBe('payments/api release #1: Succeeded, 100% on the promoted primary');
    expect(textOf(message)).toContain(':large_green_circle: Succeeded');
    expect(textOf(message)).toContain('0 → *10* → *20* → *30* → *40* → *50* → *100*');
  });

  it('lists gates with their approvals', () => {
    // Arrange
    const gates = [
      aGate({ status: 'pending', approvals: { U0ALICE: 'x' }, quorum: 2 }),
      aGate({
        key: 'confirm-traffic-increase@30',
        gate: 'confirm-traffic-increase',
        targetWeight: 30,
        status: 'rejected',
        rejection: { by: 'U0BOB', at: 'x', reason: 'no' },
      }),
    ];

    // Act
    const text = textOf(statusMessage(aPolicy(), runningRun(), gates));

    // Assert
    expect(text).toContain(':raising_hand: Promote the canary to primary: pending (1/2)');
    expect(text).toContain(':no_entry: Shift 30% of traffic to the canary: rejected by <@U0BOB>');
  });

  it('shows a pause only while the run is going on', () => {
    // Arrange
    const service = { service: 'payments/api', runCount: 1, paused: { by: 'U0BOB', at: 'x', reason: 'DB migration' } };

    // Act
    const live = textOf(statusMessage(aPolicy(), runningRun(), [], service));
    const ended = textOf(statusMessage(aPolicy(), runningRun({ state: 'ended', outcome: 'failed' }), [], service));

    // Assert
    expect(live).toContain(':double_vertical_bar: Paused by <@U0BOB>: DB migration');
    expect(ended).not.toContain('Paused');
  });

  it('shows the six newest timeline entries, warnings marked', () => {
    // Arrange
    const timeline = Array.from({ length: 10 }, (_, i) => ({
      at: `2025-03-04T10:0${i}:00.000Z`,
      text: `entry ${i}`,
      warning: i === 9,
    }));

    // Act
    const text = textOf(statusMessage(aPolicy(), runningRun({ timeline }), []));

    // Assert
    expect(text).not.toContain('entry 3');
    expect(text).toContain('10:04 UTC> entry 4');
    expect(text).toContain(':warning: <!date^');
    expect(text).toMatch(/:warning: <!date\^\d+\^\{time\}\|10:09 UTC> entry 9/);
  });
});

describe('Escaping: text from people and Flagger in the status message', () => {
  const EVIL = '<!channel> <@U0EVIL> <http://evil.example|Approve> & co';
  const ESCAPED = '&lt;!channel&gt; &lt;@U0EVIL&gt; &lt;http://evil.example|Approve&gt; &amp; co';

  it('escapes event texts, pause and rollback reasons, and the revision', () => {
    // Arrange
    const run = runningRun({
      checksum: '<!here>`x`',
      timeline: [{ at: '2025-03-04T10:00:00.000Z', text: EVIL, warning: true }],
      rollback: { by: 'U0ALICE', at: 'x', reason: EVIL },
    });
    const paused = { service: 'payments/api', runCount: 1, paused: { by: 'U0BOB', at: 'x', reason: EVIL } };

    // Act
    const text = textOf(statusMessage(aPolicy(), run, [], paused));

    // Assert
    expect(text).toContain(`Paused by <@U0BOB>: ${ESCAPED}`);
    expect(text).toContain(`Rollback requested by <@U0ALICE>: ${ESCAPED}`);
    expect(text).toContain(`10:00 UTC> ${ESCAPED}`);
    expect(text).toContain("revision `&lt;!here&gt;'x'`");
    expect(text).not.toContain('<!channel>');
  });

  it('mentions a deployer or rejecter only when the name is a user ID, and shows anything else as text', () => {
    // Arrange
    const run = runningRun({ deployedBy: 'U0X><!channel' });
    const gate = aGate({ status: 'rejected', rejection: { by: '<!here>', at: 'x', reason: 'no' } });

    // Act
    const message = statusMessage(aPolicy(), run, [gate]);
    const context = blocksOf(message).at(-1)?.elements?.[0]?.text;

    // Assert
    expect(context).toContain('deployed by U0X&gt;&lt;!channel');
    expect(textOf(message)).toContain('rejected by &lt;!here&gt;');
  });

  it('escapes the metric headline in the notification text as in the blocks', () => {
    // Arrange
    const base = aSnapshot();
    const latency = base.metrics.filter((m) => m.metric === 'p95LatencyMs');
    const reading = { value: null, reason: 'proxy said <!channel>' };
    const snapshot = { ...base, verdict: 'no-data' as const, metrics: latency.map((m) => ({ ...m, canary: reading })) };

    // Act
    const message = statusMessage(aPolicy(), runningRun(), [], undefined, snapshot);

    // Assert
    expect(message.text).toContain('proxy said &lt;!channel&gt;');
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });
});

describe('Function: approvalRequest', () => {
  const pendingPromotion = (overrides: Partial<Gate> = {}): Gate =>
    aGate({ attempt: 1, status: 'pending', approvals: { U0ALICE: 'x' }, quorum: 2, ...overrides });

  it('stays within Slack limits with the longest service names, many approvers and long evidence', () => {
    // Arrange
    const policy = aPolicy({
      service: LONG_SERVICE,
      approvers: {
        users: Array.from({ length: 200 }, (_, i) => `U0USER${i}`),
        groups: Array.from({ length: 50 }, (_, i) => `S0GROUP${i}`),
      },
    });
    const run = runningRun({ service: LONG_SERVICE, number: 9999 });
    const gate = pendingPromotion({
      service: LONG_SERVICE,
      run: 9999,
      key: 'confirm-traffic-increase@100',
      gate: 'confirm-traffic-increase',
      targetWeight: 100,
      evidence: long(5000),
      attempt: 999,
    });

    // Act
    const message = approvalRequest(policy, run, gate, 999);

    // Assert
    expect(buttonsOf(message)).toHaveLength(3);
    expect(limitViolations(message)).toEqual([]);
  });

  it('offers Approve, Reject and Roll back while pending at the current attempt', () => {
    // Arrange
    const gate = pendingPromotion({ attempt: 2 });

    // Act
    const message = approvalRequest(aPolicy(), runningRun(), gate, 2);

    // Assert
    expect(buttonsOf(message).map((b) => [b.action_id, typeof b.text === 'object' && b.text.text, b.style])).toEqual([
      [ACTIONS.approve, 'Approve', 'primary'],
      [ACTIONS.reject, 'Reject', 'danger'],
      [ACTIONS.rollback, 'Roll back', undefined],
    ]);
    expect(textOf(message)).toContain('*Promote the canary to primary for payments/api release #1*');
    expect(textOf(message)).toContain(':raising_hand: Waiting for approval: 1/2 · expires <!date^');
  });

  it('asks for confirmation before rolling back', () => {
    // Arrange
    const gate = pendingPromotion();

    // Act
    const rollback = buttonsOf(approvalRequest(aPolicy(), runningRun(), gate, 1)).find(
      (b) => b.action_id === ACTIONS.rollback,
    );

    // Assert
    expect(rollback?.confirm).toMatchObject({
      title: { type: 'plain_text', text: 'Roll back?' },
      text: { type: 'plain_text', text: expect.stringContaining('payments/api') },
      confirm: { type: 'plain_text', text: 'Roll back' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    });
  });

  it('carries {s, r, g, a} in every button value, as JSON that round-trips', () => {
    // Arrange
    const run = runningRun({ number: 7 });
    const gate = pendingPromotion({
      run: 7,
      key: 'confirm-traffic-increase@30',
      gate: 'confirm-traffic-increase',
      targetWeight: 30,
      attempt: 3,
    });

    // Act
    const values = buttonsOf(approvalRequest(aPolicy(), run, gate, 3)).map(
      (b) => JSON.parse(b.value ?? '') as RequestRef,
    );

    // Assert
    const expected: RequestRef = { s: 'payments/api', r: 7, g: 'confirm-traffic-increase@30', a: 3 };
    expect(values).toEqual([expected, expected, expected]);
    expect(Object.keys(values[0] ?? {}).sort()).toEqual(['a', 'g', 'r', 's']);
  });

  it('drops the buttons of an earlier attempt and says it expired', () => {
    // Arrange
    const gate = pendingPromotion({ attempt: 2, approvals: {} });

    // Act
    const message = approvalRequest(aPolicy(), runningRun(), gate, 1);

    // Assert
    expect(buttonsOf(message)).toEqual([]);
    expect(blocksOf(message).some((b) => b.type === 'actions')).toBe(false);
    expect(textOf(message)).toContain(':hourglass: Expired without enough approvals');
    expect(message.text).toBe(
      'Promote the canary to primary for payments/api release #1: Expired without enough approvals',
    );
  });

  it('shows who approved, without buttons, once approved', () => {
    // Arrange
    const gate = pendingPromotion({ status: 'approved', approvals: { U0ALICE: 'x', U0BOB: 'y' }, decidedAt: 'z' });

    // Act
    const message = approvalRequest(aPolicy(), runningRun(), gate, 1);

    // Assert
    expect(buttonsOf(message)).toEqual([]);
    expect(textOf(message)).toContain(':white_check_mark: Approved by <@U0ALICE>, <@U0BOB>');
    expect(message.text).toBe(
      'Promote the canary to primary for payments/api release #1: Approved by <@U0ALICE>, <@U0BOB>',
    );
  });

  it('shows who rejected and why, without buttons, once rejected', () => {
    // Arrange
    const gate = pendingPromotion({
      status: 'rejected',
      rejection: { by: 'U0BOB', at: 'x', reason: 'p95 latency is 900ms' },
    });

    // Act
    const message = approvalRequest(aPolicy(), runningRun(), gate, 1);

    // Assert
    expect(buttonsOf(message)).toEqual([]);
    expect(textOf(message)).toContain(':no_entry: Rejected by <@U0BOB>: p95 latency is 900ms');
  });

  it('shows what approvers were shown and who may approve', () => {
    // Arrange
    const gate = pendingPromotion({ evidence: 'phase Progressing, canary weight 50%' });

    // Act
    const text = textOf(approvalRequest(aPolicy({ quorum: 2 }), runningRun(), gate, 1));

    // Assert
    expect(text).toContain(
      'phase Progressing, canary weight 50% · approvers: <@U0ALICE> <@U0BOB> <!subteam^S0SRE> (2 needed)',
    );
  });

  it.each([
    { name: 'pending', gate: { status: 'pending' as const }, attempt: 1 },
    { name: 'expired', gate: { status: 'pending' as const, attempt: 2 }, attempt: 1 },
    { name: 'approved', gate: { status: 'approved' as const, approvals: { U0ALICE: 'x' } }, attempt: 1 },
    {
      name: 'rejected',
      gate: { status: 'rejected' as const, rejection: { by: 'U0BOB', at: 'x', reason: 'no' } },
      attempt: 1,
    },
  ])('has a non-empty fallback text without an emoji code when $name', ({ gate, attempt }) => {
    // Arrange
    const request = aGate(gate);

    // Act
    const message = approvalRequest(aPolicy(), runningRun(), request, attempt);

    // Assert
    expect(message.text).toMatch(/^Promote the canary to primary for payments\/api release #1: [A-Z]/);
    expect(message.text).not.toMatch(/:[a-z_]+:/);
    expect(limitViolations(message)).toEqual([]);
  });
});

describe('Escaping: text from people and Flagger in the approval request', () => {
  it('escapes the rejection reason, in the blocks and the notification text', () => {
    // Arrange
    const gate = aGate({ status: 'rejected', rejection: { by: 'U0BOB', at: 'x', reason: 'see <!channel|everyone>' } });

    // Act
    const message = approvalRequest(aPolicy(), runningRun(), gate, 1);

    // Assert
    expect(textOf(message)).toContain(':no_entry: Rejected by <@U0BOB>: see &lt;!channel|everyone&gt;');
    expect(message.text).toContain('Rejected by <@U0BOB>: see &lt;!channel|everyone&gt;');
  });

  it('escapes the evidence (which names the deployer and may carry metadata)', () => {
    // Arrange
    const gate = aGate({ evidence: 'phase Progressing, deployed by <@U0EVIL> <https://x.example|logs>' });

    // Act
    const text = textOf(approvalRequest(aPolicy(), runningRun(), gate, 1));

    // Assert
    expect(text).toContain('deployed by &lt;@U0EVIL&gt; &lt;https://x.example|logs&gt; · approvers:');
  });

  it('mentions only approvers whose IDs look like IDs', () => {
    // Arrange
    const gate = aGate({ status: 'approved', approvals: { U0ALICE: 'x', '<!here>': 'y' } });

    // Act
    const message = approvalRequest(aPolicy(), runningRun(), gate, 1);

    // Assert
    expect(message.text).toContain('Approved by <@U0ALICE>, &lt;!here&gt;');
  });
});

describe('Function: rejectReasonView', () => {
  it('escapes the service and gate it echoes from the button value in its mrkdwn', () => {
    // Arrange
    const ref: RequestRef = { s: '<!channel>', r: 2, g: 'x`<@U0EVIL>', a: 1 };

    // Act
    const view = rejectReasonView(ref) as { blocks: Block[] };

    // Assert
    expect(view.blocks[0]?.text?.text).toBe("Reject *&lt;!channel&gt;* release #2 at `x'&lt;@U0EVIL&gt;`?");
  });
});

describe('Function: rollbackConfirmation', () => {
  it('offers a confirmed Roll back button that names the run, and a Preview beside it', () => {
    // Arrange
    const run = runningRun({ number: 3, weight: 20 });

    // Act
    const message = rollbackConfirmation(run);

    // Assert
    const [button, preview] = buttonsOf(message);
    expect(buttonsOf(message)).toHaveLength(2);
    expect(preview?.action_id).toBe(ACTIONS.previewRollback);
    expect(preview?.value).toBe(button?.value);
    expect(button?.action_id).toBe(ACTIONS.rollback);
    expect(button?.confirm).toBeDefined();
    expect(JSON.parse(button?.value ?? '')).toEqual({ s: 'payments/api', r: 3, g: '', a: 0 });
    expect(textOf(message)).toContain('Roll back *payments/api release #3* (Progressing, canary weight 20%)?');
    expect(limitViolations(message)).toEqual([]);
  });
});

describe('Helper: limitViolations', () => {
  it('flags a message that breaks the limits, so the checks above can fail', () => {
    // Arrange
    const message: ChatMessage = {
      text: ' ',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: long(3001) } },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: long(256), value: long(2001), text: { type: 'plain_text', text: 'Go' } },
          ],
        },
        ...Array.from({ length: 49 }, () => ({ type: 'divider' as const })),
      ],
    };

    // Act
    const broken = limitViolations(message);

    // Assert
    expect(broken).toEqual([
      'text fallback is empty',
      '51 blocks (max 50)',
      'section 0 text > 3000',
      'action_id of Go',
      'button value of Go > 2000',
    ]);
  });
});

describe('Function: runbookMessage, within the limits', () => {
  it('keeps the longest execution (20 steps, every detail at its limit) within Block Kit limits, every step shown', () => {
    // Arrange
    const steps = Array.from({ length: RUNBOOK_STEP_LIMIT }, (_, i) => ({
      kind: 'confirm' as const,
      name: `step ${i} ${'n'.repeat(60)}`,
      prompt: 'p'.repeat(300),
    }));
    const results = steps.slice(0, 19).map((_, index) => ({
      index,
      kind: 'confirm' as const,
      status: 'ok' as const,
      startedAt: '2025-03-04T10:00:00.000Z',
      endedAt: '2025-03-04T10:00:01.000Z',
      durationMs: 1000,
      detail: '<'.repeat(STEP_DETAIL_LIMIT),
      attempts: 1,
    }));
    const execution = {
      service: 'payments/api',
      run: 1,
      id: 'x'.repeat(200),
      runbook: 'careful',
      steps,
      dryRun: false,
      trigger: { cause: 'person' as const, by: 'U0ALICE', reason: 'r'.repeat(500) },
      state: 'waiting' as const,
      next: 19,
      results,
      startedAt: '2025-03-04T10:00:00.000Z',
      deadline: '2025-03-04T10:05:00.000Z',
      version: 1,
    };

    // Act
    const message = runbookMessage(execution, 'rollback');

    // Assert
    expect(limitViolations(message)).toEqual([]);
    for (let i = 0; i < RUNBOOK_STEP_LIMIT; i += 1) expect(textOf(message)).toContain(`${i + 1}. step ${i} `);
    expect(buttonsOf(message).map((b) => b.action_id)).toEqual([ACTIONS.confirmRunbook]);
  });
});
