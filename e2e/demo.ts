import { ACTIONS } from '../shared/slack/blocks';
import type { SlackCall } from '../testkit/fake-slack';
import { stopAll } from './harness/processes';
import { botConfig, buttonOf, plainText, readable, Scenario } from './harness/scenario';

/**
 * Scenario 1, to watch: the real Flagger, kube-apiserver and Prometheus on loopback (as the e2e suite runs them),
 * the bot in this process with a fake Slack. A new revision of production/product-service is deployed, Flagger
 * walks the traffic to 50% and asks to promote, the bot posts an approval request, U0APPROVER1 clicks Approve,
 * Flagger promotes. Then the release thread is printed as a person would read it in Slack.
 *
 *   npm run demo                      # about 2.5 minutes; builds the Go binaries first (e2e/build.sh)
 *   npm run demo -- --snapshots      # the bot also reads Prometheus: metric tables in the thread
 *
 * Everything it starts is stopped on exit, on an error and on Ctrl-C.
 */
const NAME = 'product-service';
const IMAGE_V1 = 'registry.example.com/acme/product-service:1.0.0';
const IMAGE_V2 = 'registry.example.com/acme/product-service:1.1.0';
const APPROVER = 'U0APPROVER1';
const snapshots = process.argv.includes('--snapshots');

let scenario: Scenario | undefined;
let stopping: Promise<void> | undefined;
const started = Date.now();
let t0 = started;

/** Stops everything once, whoever asks first (the end, an error, a signal). */
function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    try {
      if (scenario) await scenario.stop();
      else await stopAll(); // a signal while starting: whatever child processes are up
    } catch (error) {
      console.error(`stopping failed: ${(error as Error).message}`);
    }
  })();
  return stopping.then(() => process.exit(code));
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping Flagger, Prometheus, the apiserver, etcd and the bot...`);
    void shutdown(code);
  });
}

const clock = (at: number, from = t0) => {
  const s = Math.max(0, Math.round((at - from) / 1000));
  return `+${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const say = (text: string, at = Date.now()) => console.log(`${clock(at)}  ${text}`);

async function main(): Promise<void> {
  console.log('Starting etcd, kube-apiserver, Flagger, Prometheus, the traffic simulator and the bot (about 30 s)...');
  const s = await Scenario.start({
    config: (env) => botConfig(snapshots ? { prometheus: env.prometheus.url } : {}),
    name: NAME,
    image: IMAGE_V1,
  });
  scenario = s;
  console.log(
    `Ready in ${((Date.now() - started) / 1000).toFixed(0)} s: Canary production/${NAME} Initialized, primary runs ${IMAGE_V1}; ` +
      `Flagger checks every 10 s.\n`,
  );

  // Live: what Flagger says and asks, as it happens (repeated refusals of the rollback hook left out).
  let seen = s.hooks.calls.length;
  let phase = s.last.phase ?? '';
  const follow = setInterval(() => {
    for (const call of s.hooks.calls.slice(seen)) {
      if (call.hook === 'event' && call.message) say(`Flagger: ${call.message}`, call.receivedAt);
      else if (call.hook !== 'event' && !(call.hook === 'rollback' && call.status === 403))
        say(`Flagger asks ${call.hook} -> ${call.status} ${call.answer.trim()}`, call.receivedAt);
    }
    seen = s.hooks.calls.length;
    if (s.last.phase && s.last.phase !== phase) {
      phase = s.last.phase;
      say(`Canary phase: ${phase}`);
    }
  }, 200);

  try {
    t0 = Date.now();
    say(`kubectl set image deployment/${NAME} ${NAME}=${IMAGE_V2}`);
    await s.deploy(IMAGE_V2);
    await s.waitForPhase('WaitingPromotion', 240_000);
    const request = await s.waitForRequest('Promote the canary to primary');
    // The approver reads the request while Flagger asks once more (and is refused), then clicks.
    const asked = s.hooks.of('confirm-promotion').length;
    await s.waitFor('another promotion check', async () =>
      s.hooks.of('confirm-promotion').length > asked ? true : undefined,
    );
    say(`${APPROVER} clicks Approve`);
    const click = await s.h.click(ACTIONS.approve, buttonOf(request, ACTIONS.approve), APPROVER);
    say(`Slack got ${click.status} from the bot`);
    await s.waitForPhase('Succeeded', 120_000);
    await s.waitFor('the post-rollout hook', async () => s.hooks.of('post-rollout').at(-1));
    await s.waitForThread(1, 'the end', (t) => t.status.includes('succeeded') && t.replies.length >= 3);
    await new Promise((r) => setTimeout(r, 400)); // the last lines of the live log
  } finally {
    clearInterval(follow);
  }
  console.log(`\nThe primary now runs ${await s.image(`${NAME}-primary`)}.\n`);
  printThread(s);
}

/** The thread as a person reads it at the end: the status message as it stands, then each reply. */
function printThread(s: Scenario): void {
  const thread = s.thread(1);
  if (!thread) {
    console.log('(no thread was posted)');
    return;
  }
  const at = (call: SlackCall) => clock(s.slackTime(call) ?? t0);
  const indent = (text: string, prefix: string) =>
    text
      .split('\n')
      .map((line) => `${prefix}${line}`)
      .join('\n');
  const channel = String(thread.root.args.channel);
  console.log(`Slack, channel ${channel} (times from the deploy; Slack shows each reader's local time)`);
  console.log('='.repeat(100));
  const lastEdit = thread.updates.at(-1);
  console.log(
    `${at(thread.root)}  status message, edited in place ${thread.updates.length} times` +
      (lastEdit ? ` (last at ${at(lastEdit)})` : ''),
  );
  console.log(indent(readable(lastEdit ?? thread.root), '        | '));
  console.log(`        thread: ${thread.replies.length} replies`);
  for (const reply of thread.replies) {
    const edited = reply.updates.at(-1);
    const broadcast = reply.post.args.reply_broadcast === 'true' || reply.post.args.reply_broadcast === true;
    console.log(
      `${at(reply.post)}  reply${broadcast ? ' (also sent to the channel)' : ''}${edited ? `, edited at ${at(edited)}` : ''}`,
    );
    console.log(indent(readable(edited ?? reply.post), '          > '));
  }
  const uploads = s.slack.called('files.completeUploadExternal');
  for (const upload of uploads) {
    const files = (upload.args.files ?? []) as { title?: string }[];
    console.log(`${at(upload)}  file in the thread: ${files.map((f) => f.title).join(', ')}`);
  }
  const ephemeral = s.slack.called('chat.postEphemeral');
  if (ephemeral.length) {
    console.log('-'.repeat(100));
    for (const e of ephemeral) {
      console.log(`${at(e)}  only visible to @${String(e.args.user)}: ${plainText(String(e.args.text))}`);
    }
  }
  console.log('='.repeat(100));
}

main().then(
  () => shutdown(0),
  (error: Error) => {
    console.error(`demo failed: ${error.message}`);
    return shutdown(1);
  },
);
