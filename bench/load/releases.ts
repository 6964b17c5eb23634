import { FLAGGER_TOKEN } from '../../testkit/bot';

/** The canaries under load: `services` of them in namespace `load`, each with a manual promotion gate. */
export const serviceName = (i: number, services: number) => `svc-${String(i % services).padStart(4, '0')}`;

export const channelOf = (i: number) => `C0LOAD${String(i).padStart(5, '0')}`;

export function loadConfig(services: number): string {
  const entries = Array.from(
    { length: services },
    (_, i) =>
      `  load/${serviceName(i, services)}:\n    channel: ${channelOf(i)}\n` +
      '    approvers: { users: [U0APPROVER1, U0APPROVER2] }\n    gates: { confirm-promotion: manual }\n',
  );
  return `services:\n${entries.join('')}`;
}

/** Flagger's confirm-promotion payload for the i-th call, round robin over the canaries. */
export const confirmPromotion = (i: number, services: number, checksum = 'rev-1'): string =>
  JSON.stringify({
    name: serviceName(i, services),
    namespace: 'load',
    phase: 'Progressing',
    checksum,
    metadata: { token: FLAGGER_TOKEN },
  });
