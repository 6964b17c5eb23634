/**
 * How a release's state and traffic read, the same in the status message, its notification text and the answers of
 * `/canary status` and `list`. Flagger's phases are capitalised (`Progressing`), the bot's outcomes are not
 * (`succeeded`): both are shown capitalised. After a promotion the primary runs the new revision and takes all traffic,
 * and after a failure Flagger has sent it all back, whatever weight the canary last had.
 */
export function stateLabel(state: string): string {
  return state.charAt(0).toUpperCase() + state.slice(1);
}

export function trafficLabel(state: string, weight: number): string {
  if (state === 'succeeded') return '100% on the promoted primary';
  if (state === 'failed') return '100% back on the primary';
  return `canary weight ${weight}%`;
}

/** `Succeeded, 100% on the promoted primary` or `Progressing, canary weight 30%`. */
export function stateAndTraffic(state: string, weight: number): string {
  return `${stateLabel(state)}, ${trafficLabel(state, weight)}`;
}
