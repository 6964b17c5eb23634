import { core } from '../aws/core';
import { directory, slackSettings } from '../aws/slack';
import { slackHandler } from './handle';

export const handler = slackHandler(
  { ...core, directory },
  {
    signingSecret: slackSettings.SLACK_SIGNING_SECRET,
    botToken: slackSettings.SLACK_BOT_TOKEN,
    ...(slackSettings.SLACK_API_URL ? { apiUrl: slackSettings.SLACK_API_URL } : {}),
  },
);
