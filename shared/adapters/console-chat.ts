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
    this.write(
      `${thread ? `[slack ${channel} thread ${thread.ts}]` : `[slack ${channel}]`} file "${file.title}" (${file.content.length} bytes): ${path}\n    alt text: ${file.altText}`,
    );
  }

  private print(heading: string, message: ChatMessage): void {
    const buttons = JSON.stringify(message.blocks ?? []).match(/"text":"(Approve|Reject|Roll back)"/g);
    const text = message.text.replace(/<@(\w+)>/g, '@$1').replace(/<!date\^\d+\^\{time\}\|([^>]+)>/g, '$1');
    this.write(`${heading}\n    ${text}${buttons ? `\n    [buttons: Approve | Reject | Roll back]` : ''}`);
  }
}

/** No Slack API to ask: nobody is in any user group; listed users still count. */
export const noGroups: Directory = { groupsOf: async () => ({ groups: [] }) };
