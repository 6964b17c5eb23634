/**
 * Text from people and from Flagger goes into messages the bot posts, in its own voice. Slack parses `<...>` in
 * mrkdwn as mentions (`<!channel>`, `<@U…>`, `<!subteam^…>`) and links (`<url|text>`), so every such text is
 * escaped the way Slack documents (`&`, `<`, `>`), and mentions are only ever made from IDs that look like IDs.
 *
 * The one rule: escaping happens where data becomes mrkdwn (the presenters in `shared/slack` and the query
 * answers), never when it is stored. Stored text stays as typed; every `<` in a posted message was put there by
 * one of the helpers below.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack user IDs (U…, W… in Enterprise Grid); anything else is shown as escaped text, never as a mention. */
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
/** User-group IDs (S…). */
const GROUP_ID = /^S[A-Z0-9]{2,20}$/;
/** Channel IDs (C…, G… private, D… direct). */
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,20}$/;

export const mention = (user: string): string => (USER_ID.test(user) ? `<@${user}>` : escapeMrkdwn(user));
export const groupMention = (group: string): string =>
  GROUP_ID.test(group) ? `<!subteam^${group}>` : escapeMrkdwn(group);
/** A channel link from its ID; a `#name` from the config is shown as text (Slack links only IDs). */
export const channelMention = (channel: string): string =>
  CHANNEL_ID.test(channel) ? `<#${channel}>` : escapeMrkdwn(channel);

/** `a, b` as mentions, or `fallback` when there is nobody. */
export const mentionList = (users: readonly string[], fallback = 'nobody'): string =>
  users.length ? users.map(mention).join(', ') : fallback;

/**
 * Untrusted text as inline code: escaped, and with backticks replaced so it cannot close the code span early.
 * Capped, because an echo of what someone typed need not be longer than this to be recognised.
 */
export function code(text: string, max = 100): string {
  const shown = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return `\`${escapeMrkdwn(shown.replace(/`/g, "'"))}\``;
}

/**
 * Slack shows each reader's local time for this syntax; the fallback (UTC) is for clients that cannot. A time that
 * does not parse is shown as escaped text rather than as a broken token.
 */
export function slackDate(iso: string, format: string, fallback: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return Number.isNaN(seconds) ? escapeMrkdwn(iso) : `<!date^${seconds}^${format}|${escapeMrkdwn(fallback)}>`;
}

/** Section and context texts are limited to 3000 characters. */
export const SECTION_MAX = 3000;

/**
 * Cuts mrkdwn to `max` characters without splitting a `<…>` token the bot made (a half mention is an open `<` that
 * Slack might pair with a later `>`) or an `&amp;`-style entity; a cut text ends with `…`.
 */
export function clipMrkdwn(text: string, max = SECTION_MAX): string {
  if (text.length <= max) return text;
  let head = text.slice(0, max - 1);
  const open = head.lastIndexOf('<');
  if (open > head.lastIndexOf('>')) head = head.slice(0, open);
  const amp = head.lastIndexOf('&');
  if (amp > head.lastIndexOf(';') && head.length - amp <= 5) head = head.slice(0, amp);
  return `${head}…`;
}
