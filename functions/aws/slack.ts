import { SlackChat, SlackDirectory, slackClient } from '../../shared/adapters/slack-chat';
import { slackSettingsSchema } from '../../shared/config/settings';
import { latest } from './memo';
import { secretSettings } from './parameters';

/** The Slack secret (signing secret and bot token), for the functions that talk to Slack (not the Flagger one). */
export const slackSecret = () => secretSettings(slackSettingsSchema, 'SLACK_SECRET_ARN');

/** Slack clients for one bot token: rebuilt when the token rotates. */
export const slackClients = latest((token: string) => {
  const client = slackClient(token, process.env.SLACK_API_URL);
  return { chat: new SlackChat(client), directory: new SlackDirectory(client) };
});
