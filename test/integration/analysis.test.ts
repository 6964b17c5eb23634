import { type Harness, payload, startHarness, TEST_CONFIG } from '../../testkit/bot';

/**
 * Reading the live Canary's analysis as a release starts, through the local bot: the worker's job for the new run
 * reads the Canary before it posts the status message. Here the cluster's kubeconfig does not exist, so the thread
 * says the config's analysis applies; reading a real Canary is in test/e2e/strategies.test.ts and the use case's
 * rules in test/usecases/strategies.test.ts.
 */
const CONFIG = `${TEST_CONFIG}
clusters:
  prod: { kubeconfig: does-not-exist.kubeconfig }
`.replace('    channel: C0PAYMENTS1\n', '    channel: C0PAYMENTS1\n    cluster: prod\n');

describe('Local server: the analysis a release follows', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(CONFIG);
  });
  afterAll(() => h.stop());

  it("tells in the release's thread that the Canary could not be read and the config's analysis applies", async () => {
    const first = await h.flagger('confirm-rollout', payload('Progressing', 'rev-1', {}, 'payment-service'));
    await h.flagger('rollout', payload('Progressing', 'rev-1', {}, 'payment-service'));
    await h.bot.queue.drain();

    const posts = h.slack.called('chat.postMessage').filter((p) => p.args.channel === 'C0PAYMENTS1');
    expect(first.status).toBe(200);
    expect(posts.filter((p) => !p.args.thread_ts)).toHaveLength(1);
    expect(posts.filter((p) => p.args.thread_ts).map((p) => String(p.args.text))).toEqual([
      expect.stringMatching(
        /^:warning: Could not read the Canary to learn its analysis \([\s\S]{1,600}\)\. This release follows the config's: stepWeight 10, maxWeight 50\.$/,
      ),
    ]);
  });
});
