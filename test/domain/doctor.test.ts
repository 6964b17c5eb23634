import { trafficSchema } from '../../shared/config/traffic';
import { type Check, shownUrl } from '../../shared/domain/doctor';
import { analysisChecks } from '../../shared/domain/doctor-analysis';
import { meshChecks } from '../../shared/domain/doctor-mesh';
import { webhookChecks } from '../../shared/domain/doctor-webhooks';
import { aPolicy } from '../../testkit/builders';

const BOT = 'https://bot.example.com/prod';
const hook = (type: string, extra: Record<string, unknown> = {}) => ({
  name: `release-bot-${type}`,
  type,
  url: `${BOT}/flagger/${type}`,
  metadata: { token: 'secret-token' },
  ...extra,
});
const canaryWith = (webhooks: unknown[]) => ({ spec: { analysis: { webhooks } } });
/** Every hook the test policy relies on (manual traffic steps and promotion, rollback, event, post-rollout). */
const ALL = ['confirm-traffic-increase', 'confirm-promotion', 'rollback', 'event', 'post-rollout'].map((t) => hook(t));
const bySubject = (checks: Check[], subject: string) => checks.find((c) => c.subject === subject);

describe('doctor: the Canary webhooks the config relies on', () => {
  it('passes a Canary whose every relied-on hook calls the bot with a token and time to answer', () => {
    const checks = webhookChecks(aPolicy(), canaryWith(ALL));

    expect(checks.map((c) => c.status)).toEqual(Array(7).fill('pass'));
    expect(bySubject(checks, 'rollback webhook')?.found).toBe(
      'release-bot-rollback calls https://bot.example.com/prod/flagger/rollback',
    );
    // An auto gate needs no hook: confirm-rollout is not checked.
    expect(bySubject(checks, 'confirm-rollout webhook')).toBeUndefined();
  });

  it('fails a Canary without a rollback hook, and says what to add and why', () => {
    const checks = webhookChecks(aPolicy(), canaryWith(ALL.filter((h) => h.type !== 'rollback')));

    expect(bySubject(checks, 'rollback webhook')).toEqual({
      status: 'fail',
      subject: 'rollback webhook',
      found: 'none on the Canary',
      fix:
        'add {type: rollback, url: <release-bot URL>/flagger/rollback, metadata: {token: …}} to spec.analysis.webhooks: ' +
        'without it a rejection, /canary rollback and alert rollbacks cannot make Flagger roll back',
    });
  });

  it('fails a manual gate still answered by the loadtester, and only warns for a missing event hook', () => {
    const loadtester = { name: 'gate', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/check' };
    const webhooks = [...ALL.filter((h) => !['confirm-promotion', 'event'].includes(h.type)), loadtester];
    const checks = webhookChecks(aPolicy(), canaryWith(webhooks));

    expect(bySubject(checks, 'confirm-promotion webhook')).toMatchObject({
      status: 'fail',
      found: "gate calls http://flagger-loadtester.test/gate/check, not release-bot's /flagger/confirm-promotion",
    });
    expect(bySubject(checks, 'event webhook')?.status).toBe('warn');
  });

  it('fails a hook whose type and path disagree: the bot reads the type from the path', () => {
    const crossed = hook('confirm-promotion', { url: `${BOT}/flagger/confirm-rollout`, name: 'crossed' });
    const checks = webhookChecks(aPolicy(), canaryWith([...ALL, crossed]));

    expect(bySubject(checks, 'crossed webhook')).toMatchObject({
      status: 'fail',
      found: 'type confirm-promotion calls /flagger/confirm-rollout',
    });
  });

  it('treats a webhook without a type as Flagger does: a rollout hook', () => {
    const untyped = { name: 'untyped', url: `${BOT}/flagger/rollout`, metadata: { token: 't' } };
    const checks = webhookChecks(aPolicy(), canaryWith([...ALL, untyped]));

    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('fails webhooks without a token, naming them; a ?token= in the URL counts', () => {
    const withQuery = hook('event', { url: `${BOT}/flagger/event?token=abc`, metadata: undefined });
    const bare = hook('rollback', { metadata: {} });
    const webhooks = [...ALL.filter((h) => !['event', 'rollback'].includes(h.type)), withQuery, bare];
    const check = bySubject(webhookChecks(aPolicy(), canaryWith(webhooks)), 'webhook token');

    expect(check).toMatchObject({ status: 'fail', found: 'no token on release-bot-rollback' });
  });

  it('warns about timeouts shorter than 5 s; unset is Flagger default 10 s', () => {
    const short = hook('rollback', { timeout: '2s' });
    const long = hook('event', { timeout: '15s' });
    const webhooks = [...ALL.filter((h) => !['event', 'rollback'].includes(h.type)), short, long];
    const check = bySubject(webhookChecks(aPolicy(), canaryWith(webhooks)), 'webhook timeouts');

    expect(check).toMatchObject({ status: 'warn', found: 'release-bot-rollback 2s' });
  });

  it('never shows a token from a URL', () => {
    expect(shownUrl('https://user:pw@bot.example.com/flagger/event?token=s3cret#x')).toBe(
      'https://bot.example.com/flagger/event',
    );
  });

  it('reads a Canary of any shape without throwing', () => {
    for (const odd of [
      null,
      42,
      'text',
      { spec: { analysis: { webhooks: 'nope' } } },
      { spec: { analysis: { webhooks: [null, 7] } } },
    ]) {
      expect(() => webhookChecks(aPolicy(), odd)).not.toThrow();
    }
  });
});

describe('doctor: the mesh Flagger made, against the configured traffic policy', () => {
  const traffic = trafficSchema.parse({ timeout: '5s', retries: { attempts: 3, perTryTimeout: '1.5s' } });
  const virtualService = (route: Record<string, unknown>) => ({ spec: { http: [{ route: [], ...route }] } });
  const rule = (name: string, outlierDetection?: Record<string, unknown>) => ({
    metadata: { name },
    spec: { host: name, ...(outlierDetection ? { trafficPolicy: { outlierDetection } } : {}) },
  });
  const designDocument = { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 };
  const facts = {
    service: 'web',
    virtualService: virtualService({ timeout: '5s', retries: { attempts: 3, perTryTimeout: '1500ms' } }),
    destinationRules: [rule('web-primary', designDocument), rule('web-canary', designDocument)],
    peerAuthentications: [{ metadata: { name: 'default' }, spec: { mtls: { mode: 'STRICT' } } }],
  };

  it('passes objects that exist and say what the config says (1500ms is 1.5s)', () => {
    const checks = meshChecks(traffic, facts);

    expect(checks.map((c) => `${c.status} ${c.subject}`)).toEqual([
      'pass VirtualService web',
      'pass DestinationRule web-primary',
      'pass DestinationRule web-canary',
      'pass route timeout',
      'pass route retries',
      'pass circuit breaking',
      'pass mTLS',
    ]);
  });

  it('fails when Flagger has not made its objects, with the reason the cluster gave', () => {
    const checks = meshChecks(traffic, {
      ...facts,
      virtualService: { error: 'no VirtualService production/web' },
      destinationRules: [rule('web-primary', designDocument)],
    });

    expect(bySubject(checks, 'VirtualService web')).toMatchObject({
      status: 'fail',
      found: 'no VirtualService production/web',
    });
    expect(bySubject(checks, 'DestinationRule web-canary')).toMatchObject({ status: 'fail', found: 'not found' });
    // Nothing to compare timeouts with: no line rather than a wrong one.
    expect(bySubject(checks, 'route timeout')).toBeUndefined();
  });

  it('warns of drift, showing both values and where to fix it', () => {
    const checks = meshChecks(traffic, {
      ...facts,
      virtualService: virtualService({ timeout: '10s', retries: { attempts: 2 } }),
      destinationRules: [
        rule('web-primary', { ...designDocument, consecutive5xxErrors: 7, interval: '1m' }),
        rule('web-canary'),
      ],
      peerAuthentications: [{ spec: { mtls: { mode: 'PERMISSIVE' } } }],
    });

    expect(bySubject(checks, 'route timeout')).toMatchObject({
      status: 'warn',
      found: '10s on the VirtualService, 5s in the config',
      fix: expect.stringContaining('spec.service.timeout: 5s'),
    });
    expect(bySubject(checks, 'route retries')?.found).toBe(
      '2 attempts on the VirtualService, 3 attempts of 1.5s in the config',
    );
    expect(bySubject(checks, 'circuit breaking')?.found).toBe(
      'differs from the config: consecutive5xxErrors 7, interval 1m',
    );
    expect(bySubject(checks, 'mTLS')?.found).toBe('PERMISSIVE in the namespace, STRICT in the config');
  });

  it('says "1 attempt", not "1 attempts", for a single retry', () => {
    const checks = meshChecks(traffic, {
      ...facts,
      virtualService: virtualService({ timeout: '5s', retries: { attempts: 1, perTryTimeout: '30s' } }),
    });

    expect(bySubject(checks, 'route retries')?.found).toBe(
      '1 attempt of 30s on the VirtualService, 3 attempts of 1.5s in the config',
    );
  });

  it('warns when there is no circuit breaking or no namespace-wide PeerAuthentication, or it cannot be read', () => {
    const selectorOnly = [{ spec: { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'STRICT' } } }];
    const none = meshChecks(traffic, {
      ...facts,
      destinationRules: [rule('web-primary'), rule('web-canary')],
      peerAuthentications: selectorOnly,
    });
    const forbidden = meshChecks(traffic, { ...facts, peerAuthentications: { error: 'the bot may not list (403)' } });

    expect(bySubject(none, 'circuit breaking')?.found).toBe('no outlierDetection on the primary DestinationRule');
    expect(bySubject(none, 'mTLS')?.found).toBe('no namespace-wide PeerAuthentication: the mesh-wide default applies');
    expect(bySubject(forbidden, 'mTLS')).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('deploy/rbac.yaml'),
    });
  });

  it('checks no timeout or retries the config does not set', () => {
    const checks = meshChecks(trafficSchema.parse({}), facts);

    expect(checks.map((c) => c.subject)).not.toContain('route timeout');
    expect(checks.map((c) => c.subject)).not.toContain('route retries');
  });
});

describe('doctor: the configured traffic policy', () => {
  it('takes Istio durations with fractions and refuses what is not one', () => {
    expect(trafficSchema.parse({ timeout: '1.5s', retries: { attempts: 2, perTryTimeout: '500ms' } })).toMatchObject({
      timeout: '1.5s',
    });
    expect(trafficSchema.safeParse({ timeout: 'five seconds' }).error?.issues[0]?.message).toBe(
      'a duration such as 5s, 1.5s or 500ms',
    );
    expect(trafficSchema.safeParse({ mtls: 'strict' }).success).toBe(false);
  });
});

describe("doctor: the Canary's strategy, the gates that fit it, and the config's copy", () => {
  const canary = (analysis: Record<string, unknown>) => ({ spec: { analysis } });
  const auto = aPolicy({
    gates: { ...aPolicy().gates, 'confirm-traffic-increase': { mode: 'auto', fromWeight: 0 } },
  });

  it('passes matching weights with the steps Flagger takes, and reports drift with both values', () => {
    expect(analysisChecks(aPolicy(), canary({ stepWeight: 10, maxWeight: 50 }))).toEqual([
      { status: 'pass', subject: 'strategy', found: 'canary (stepWeight 10, maxWeight 50): 10 → 20 → 30 → 40 → 50' },
    ]);
    expect(analysisChecks(aPolicy(), canary({ stepWeight: 20, maxWeight: 60 }))).toEqual([
      {
        status: 'fail',
        subject: 'strategy',
        found: 'canary (stepWeight 20, maxWeight 60) steps through 20, 40, 60; fromWeight 30 is not one of them',
        fix: 'set gates.confirm-traffic-increase.fromWeight to one of these weights',
      },
      {
        status: 'warn',
        subject: 'analysis',
        found:
          'the config disagrees with the Canary (stepWeight: the config says 10, the Canary 20; maxWeight: the config says 50, the Canary 60); the bot follows the Canary',
        fix: 'make services.production/product-service.analysis say what the Canary says, or remove it',
      },
    ]);
  });

  it('fails a manual traffic gate on a Canary that runs iterations (blue-green, A/B): it is never asked', () => {
    const blueGreen = canary({ iterations: 10, threshold: 2, stepWeightPromotion: 100 });
    const noCopy = { ...auto, analysis: {} };

    expect(analysisChecks({ ...aPolicy(), analysis: {} }, blueGreen)).toEqual([
      {
        status: 'fail',
        subject: 'strategy',
        found: 'blue-green (iterations 10), but confirm-traffic-increase is manual',
        fix: 'such a Canary never calls confirm-traffic-increase: gate confirm-promotion instead',
      },
    ]);
    expect(analysisChecks(noCopy, blueGreen)).toEqual([
      { status: 'pass', subject: 'strategy', found: 'blue-green (iterations 10)' },
    ]);
    const ab = canary({ iterations: 10, match: [{ headers: { 'x-user-type': { exact: 'beta' } } }] });
    expect(analysisChecks(noCopy, ab)[0]?.found).toBe('A/B testing (iterations 10, match)');
  });

  it("warns of the design document's A/B sample: a match without iterations is a weighted canary to Flagger", () => {
    const checks = analysisChecks(auto, canary({ match: [{ headers: {} }], stepWeight: 10, maxWeight: 50 }));

    expect(checks.map((c) => [c.status, c.found])).toEqual([
      [
        'warn',
        'canary (stepWeight 10, maxWeight 50, match): a match without iterations, so Flagger runs a weighted canary, not A/B testing',
      ],
    ]);
  });

  it('checks a manual step against a stepWeights list, and needs no copy of it in the config', () => {
    const steps = canary({ stepWeights: [5, 10, 25, 50] });
    const from25 = {
      ...aPolicy({ gates: { ...aPolicy().gates, 'confirm-traffic-increase': { mode: 'manual', fromWeight: 25 } } }),
      analysis: {},
    };

    expect(analysisChecks(from25, steps)).toEqual([
      { status: 'pass', subject: 'strategy', found: 'canary (stepWeights [5, 10, 25, 50]): 5 → 10 → 25 → 50' },
    ]);
    expect(
      analysisChecks({ ...from25, analysis: { stepWeight: 10, maxWeight: 50 } }, steps).map((c) => c.status),
    ).toEqual(['warn']);
  });
});
