/**
 * Text from people and from Flagger goes into messages the bot posts, in its own voice. Slack parses `<...>` in
 * mrkdwn as mentions (`<!channel>`, `<@U…>`, `<!subteam^…>`) and links (`<url|text>`), so every such text is
 * escaped the way Slack documents (`&`, `<`, `>`), and mentions are only ever made from IDs that look like IDs.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack user IDs (U…, W… in Enterprise Grid); anything else is shown as escaped text, never as a mention. */
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
/** User-group IDs (S…). */
const GROUP_ID = /^S[A-Z0-9]{2,20}$/;

export const mention = (user: string): string => (USER_ID.test(user) ? `<@${user}>` : escapeMrkdwn(user));
export const groupMention = (group: string): string =>
  GROUP_ID.test(group) ? `<!subteam^${group}>` : escapeMrkdwn(group);
