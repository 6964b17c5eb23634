/** Flagger's vocabulary, as its v1.44 source defines it (see the README's "Flagger contract" section). */

export const HOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const;
export type HookType = (typeof HOOK_TYPES)[number];

export const GATE_TYPES = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'] as const;
export type GateType = (typeof GATE_TYPES)[number];

export const PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;
export type Phase = (typeof PHASES)[number];

export const isHookType = (value: string): value is HookType => (HOOK_TYPES as readonly string[]).includes(value);
export const isGateType = (hook: HookType): hook is GateType => (GATE_TYPES as readonly string[]).includes(hook);

/** A Canary is named `namespace/name` everywhere in the bot: config keys, commands, store keys. */
export type ServiceId = string;
export const serviceId = (namespace: string, name: string): ServiceId => `${namespace}/${name}`;

/** One webhook call from Flagger, after the edge has validated it. The hook type comes from the URL path. */
export interface HookCall {
  hook: HookType;
  service: ServiceId;
  phase: Phase;
  checksum: string;
  metadata: Record<string, string>;
  receivedAt: Date;
}

/** Phases in which Flagger calls the rollback hook, and so can be made to roll back. */
export const ROLLBACK_PHASES: readonly Phase[] = ['Progressing', 'WaitingPromotion'];
