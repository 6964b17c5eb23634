import { type Check, fail, pass, shownUrl, warn } from './doctor';
import { parseMeshDuration } from './duration';
import { GATE_TYPES, type HookType, isHookType } from './flagger';
import type { ServicePolicy } from './policy';
import { at, field, list, text } from './untyped';

/** Flagger waits this long for a webhook when its `timeout` is not set. */
const FLAGGER_DEFAULT_TIMEOUT_MS = 10_000;
/** Shorter than this, a Lambda cold start or a slow store read can miss it (Flagger reads that as a refusal). */
const SHORTEST_FITTING_TIMEOUT_MS = 5_000;

interface Webhook {
  name: string;
  type: string;
  url: string;
  timeout?: string;
  hasToken: boolean;
  /** The hook type of the release-bot path it calls (`/flagger/<type>`), if it calls one. */
  botHook?: HookType;
}

/** The Canary's `spec.analysis.webhooks`, read without trusting their shape. */
export function webhooksOf(canary: unknown): Webhook[] {
  return list(at(canary, 'spec', 'analysis', 'webhooks')).map((hook, i) => {
    const url = text(field(hook, 'url')) ?? '';
    const path = URL.canParse(url) ? new URL(url).pathname : '';
    const botHook = /\/flagger\/([a-z-]+)\/?$/.exec(path)?.[1];
    const token = text(field(field(hook, 'metadata'), 'token'));
    const timeout = text(field(hook, 'timeout'));
    return {
      name: text(field(hook, 'name')) ?? `webhook ${i + 1}`,
      // Flagger treats a webhook without a type as a rollout hook.
      type: text(field(hook, 'type')) || 'rollout',
      url,
      ...(timeout ? { timeout } : {}),
      hasToken: !!token || (URL.canParse(url) && !!new URL(url).searchParams.get('token')),
      ...(botHook && isHookType(botHook) ? { botHook } : {}),
    };
  });
}

/**
 * The hooks this service's configuration relies on, and how much a missing one matters: a manual or SLO gate is
 * never asked without its hook, and nothing can roll back without the rollback hook; the event and post-rollout
 * hooks only feed the thread.
 */
function reliedOn(policy: ServicePolicy): { hook: HookType; missing: 'fail' | 'warn'; why: string }[] {
  const gates = GATE_TYPES.filter((gate) => policy.gates[gate].mode !== 'auto').map((hook) => ({
    hook,
    missing: 'fail' as const,
    why: `the config makes it ${policy.gates[hook].mode}, and without the hook Flagger never asks`,
  }));
  return [
    ...gates,
    {
      hook: 'rollback',
      missing: 'fail',
      why: 'without it a rejection, /canary rollback and alert rollbacks cannot make Flagger roll back',
    },
    { hook: 'event', missing: 'warn', why: "the release's thread shows none of Flagger's events" },
    { hook: 'post-rollout', missing: 'warn', why: 'the thread learns of the end of a release from events only' },
  ];
}

/** Every hook the config relies on points at the bot with the right type, carries the token, and has time to answer. */
export function webhookChecks(policy: ServicePolicy, canary: unknown): Check[] {
  const hooks = webhooksOf(canary);
  const checks: Check[] = [];
  for (const { hook, missing, why } of reliedOn(policy)) {
    const subject = `${hook} webhook`;
    const toBot = hooks.find((h) => h.type === hook && h.botHook === hook);
    const elsewhere = hooks.find((h) => h.type === hook && h.botHook !== hook);
    if (toBot) checks.push(pass(subject, `${toBot.name} calls ${shownUrl(toBot.url)}`));
    else if (elsewhere)
      checks.push(
        (missing === 'fail' ? fail : warn)(
          subject,
          `${elsewhere.name} calls ${shownUrl(elsewhere.url)}, not release-bot's /flagger/${hook}`,
          `point it at <release-bot URL>/flagger/${hook}: ${why}`,
        ),
      );
    else
      checks.push(
        (missing === 'fail' ? fail : warn)(
          subject,
          'none on the Canary',
          `add {type: ${hook}, url: <release-bot URL>/flagger/${hook}, metadata: {token: …}} to spec.analysis.webhooks: ${why}`,
        ),
      );
  }
  for (const wrong of hooks.filter((h) => h.botHook && h.botHook !== h.type)) {
    checks.push(
      fail(
        `${wrong.name} webhook`,
        `type ${wrong.type} calls /flagger/${wrong.botHook}`,
        `make the path /flagger/${wrong.type}: the bot reads the hook type from the path, and would answer it as ${wrong.botHook}`,
      ),
    );
  }
  const toBot = hooks.filter((h) => h.botHook);
  if (toBot.length > 0) checks.push(tokenCheck(toBot), timeoutCheck(toBot));
  return checks;
}

function tokenCheck(hooks: Webhook[]): Check {
  const without = hooks.filter((h) => !h.hasToken).map((h) => h.name);
  if (without.length === 0)
    return pass('webhook token', `all ${hooks.length} release-bot webhooks carry metadata.token`);
  return fail(
    'webhook token',
    `no token on ${without.join(', ')}`,
    'set metadata.token to the FLAGGER_WEBHOOK_TOKEN value: without it the bot answers 401 and the gate stays closed',
  );
}

function timeoutCheck(hooks: Webhook[]): Check {
  const short = hooks.filter((h) => {
    const ms = h.timeout === undefined ? FLAGGER_DEFAULT_TIMEOUT_MS : parseMeshDuration(h.timeout);
    return ms === undefined || ms < SHORTEST_FITTING_TIMEOUT_MS;
  });
  if (short.length === 0) return pass('webhook timeouts', "each is 5 s or more (Flagger's default is 10 s)");
  return warn(
    'webhook timeouts',
    short.map((h) => `${h.name} ${h.timeout}`).join(', '),
    'leave timeout unset (10 s) or 5 s or more: a call that outlives it counts as a refusal or a failed check',
  );
}
