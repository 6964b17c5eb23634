import { stateAndTraffic } from '../../shared/slack/release-state';

describe('Function: stateAndTraffic', () => {
  it("capitalises Flagger's phases and the bot's outcomes alike", () => {
    expect(stateAndTraffic('Progressing', 30)).toBe('Progressing, canary weight 30%');
    expect(stateAndTraffic('superseded', 20)).toBe('Superseded, canary weight 20%');
  });

  it('shows all traffic on the primary once a release ended, whatever weight the canary last had', () => {
    expect(stateAndTraffic('succeeded', 50)).toBe('Succeeded, 100% on the promoted primary');
    expect(stateAndTraffic('failed', 40)).toBe('Failed, 100% back on the primary');
  });
});
