import type { ConsoleChange, ConsoleMessage } from './workspace';

/**
 * One summary per message the bot posts or edits, printed where `npm start` runs, so a release can be followed in
 * the terminal too; the console page shows the messages themselves.
 */
export function terminalSummary(write: (line: string) => void, fileUrl: (id: string) => string) {
  return (change: ConsoleChange): void => {
    if (change.kind !== 'message') return;
    write(summary(change.message, fileUrl));
  };
}

function summary(m: ConsoleMessage, fileUrl: (id: string) => string): string {
  const where = m.threadTs ? `[slack ${m.channel} thread ${m.threadTs}]` : `[slack ${m.channel}]`;
  if (m.files?.length)
    return m.files
      .map(
        (f) =>
          `${where} file "${oneLine(f.title)}" (${f.bytes} bytes): ${fileUrl(f.id)}\n${indent(`alt text: ${forReading(f.altText)}`)}`,
      )
      .join('\n');
  const heading = m.onlyFor
    ? `[slack ${m.channel}] only for ${m.onlyFor}`
    : m.edits
      ? `[slack ${m.channel}] message ${m.ts} updated`
      : m.threadTs
        ? `${where} reply ${m.ts}`
        : `${where} new message ${m.ts}`;
  const buttons = JSON.stringify(m.blocks ?? []).match(/"text":"(Approve|Reject|Roll back)"/g);
  return `${heading}\n${indent(forReading(m.text))}${buttons ? '\n    [buttons: Approve | Reject | Roll back]' : ''}`;
}

/**
 * Posted mrkdwn as a person reads it in Slack: mentions and dates as text, `&lt;` back to `<`. Only the bot's own
 * `<…>` tokens are turned into text; an escaped `<@U…>` typed by someone stays visibly what it was.
 */
export function forReading(mrkdwn: string): string {
  return clean(
    mrkdwn
      .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
      .replace(/<!subteam\^(S[A-Z0-9]+)>/g, '@$1')
      .replace(/<#([CGD][A-Z0-9]+)>/g, '#$1')
      .replace(/<!date\^-?\d+\^[^|>]*\|([^>]*)>/g, '$1')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  );
}

/**
 * Control characters (carriage return, escape sequences) could redraw the terminal line and forge a heading, so
 * they are shown as `�`; newlines are kept, and `indent` puts every line under its heading.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const clean = (text: string): string => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�');
const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
const oneLine = (text: string): string => clean(text.replace(/\n/g, ' '));
