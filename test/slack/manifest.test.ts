import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SUBCOMMANDS } from '../../shared/slack/commands';

/** The manifest a Slack admin installs from: what it promises must match what the bot handles. */
const manifest = parse(readFileSync(join(__dirname, '../../slack-app-manifest.yaml'), 'utf8'));

describe('slack-app-manifest.yaml', () => {
  it("lists every /canary subcommand in the slash command's usage hint", () => {
    const [canary] = manifest.features.slash_commands;
    const words = new Set(String(canary.usage_hint).split(/[^a-z-]+/));
    expect(SUBCOMMANDS.filter((verb) => !words.has(verb))).toEqual([]);
  });

  it('subscribes to no events, so nothing the bot ignores is ever sent to it', () => {
    expect(manifest.settings.event_subscriptions).toBeUndefined();
  });
});
