import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Chat, ChatFile, ChatMessage, Directory } from '../ports/chat';

/** Without Slack credentials the local server prints what it would post, so the flow can be followed in a terminal. */
export class ConsoleChat implements Chat {
  private counter = 0;

  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    /** Where uploaded files (charts) are written, so they can be opened from the terminal. */
    private readonly uploadDir = join('.release-bot', 'uploads'),
  ) {}

  async post(channel: string, message: ChatMessage, thread?: { ts: string }) {
    const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.counter).padStart(6, '0')}`;
    this.print(
      thread ? `[slack ${channel} thread ${thread.ts}] reply ${ts}` : `[slack ${channel}] new message ${ts}`,
      message,
    );
    return { channel, ts };
  }

  async update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    this.print(`[slack ${channel}] message ${ts} updated`, message);
  }

  async postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void> {
    this.print(`[slack ${channel}] only for ${user}`, message);
  }

  async upload(channel: string, file: ChatFile, thread?: { ts: string }): Promise<void> {
    await mkdir(this.uploadDir, { recursive: true });
    // One file per upload: a timestamp keeps charts of successive checks apart; the name never leaves the folder.
    const name = `${Date.now()}-${String(++this.counter).padStart(6, '0')}-${basename(file.filename).replace(/[^\w.-]/g, '_')}`;
    const path = join(this.uploadDir, name);
    await writeFile(path, file.content);
    const heading = thread ? `[slack ${channel} thread ${thread.ts}]` : `[slack ${channel}]`;
    this.write(
      `${heading} file "${oneLine(file.title)}" (${file.content.length} bytes): ${path}\n${indent(`alt text: ${forReading(file.altText)}`)}`,
    );
  }

  private print(heading: string, message: ChatMessage): void {
    const buttons = JSON.stringify(message.blocks ?? []).match(/"text":"(Approve|Reject|Roll back)"/g);
    const text = forReading(message.text);
    this.write(`${heading}\n${indent(text)}${buttons ? `\n    [buttons: Approve | Reject | Roll back]` : ''}`);
  }
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

/** No Slack API to ask: nobody is in any user group; listed users still count. */
export const noGroups: Directory = { groupsOf: async () => ({ groups: [] }) };
