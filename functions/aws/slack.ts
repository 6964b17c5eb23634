import { WebClient } from '@slack/web-api';
import { SlackChat, SlackDirectory } from '../../shared/adapters/slack-chat';
import { readSettings, slackSettingsSchema } from '../../shared/config/settings';

/** Slack clients for the functions that talk to Slack (not the Flagger one). */
export const slackSettings = readSettings(slackSettingsSchema);
const client = new WebClient(
  slackSettings.SLACK_BOT_TOKEN,
  slackSettings.SLACK_API_URL ? { slackApiUrl: slackSettings.SLACK_API_URL } : {},
);
export const chat = new SlackChat(client);
export const directory = new SlackDirectory(client);
