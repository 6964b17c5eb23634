import type { WebClient } from '@slack/web-api';
import type { Chat, ChatFile, ChatMessage, Directory, Membership } from '../ports/chat';

export class SlackChat implements Chat {
  constructor(private readonly client: WebClient) {}

  async post(channel: string, message: ChatMessage, thread?: { ts: string; broadcast?: boolean }) {
    const base = { channel, text: message.text, blocks: message.blocks as never, unfurl_links: false };
    const result = await this.client.chat.postMessage(
      thread ? { ...base, thread_ts: thread.ts, reply_broadcast: thread.broadcast ?? false } : base,
    );
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  async update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    await this.client.chat.update({ channel, ts, text: message.text, blocks: (message.blocks ?? []) as never });
  }

  async postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void> {
    await this.client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks as never });
  }

  /** files.uploadV2: asks for an upload URL, POSTs the bytes there, then shares the file in the channel or thread. */
  async upload(channel: string, file: ChatFile, thread?: { ts: string }): Promise<void> {
    const base = {
      channel_id: channel,
      file: file.content,
      filename: file.filename,
      title: file.title,
      alt_text: file.altText,
    };
    await this.client.files.uploadV2(thread ? { ...base, thread_ts: thread.ts } : base);
  }
}

/** User-group membership from Slack, cached briefly: a membership change takes effect within `ttlMs`. */
export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly ttlMs = 60_000,
    private readonly now = () => Date.now(),
  ) {}

  async groupsOf(user: string, groups: readonly string[]): Promise<Membership> {
    const members = await Promise.all(groups.map(async (group) => [group, await this.members(group)] as const));
    return { groups: members.filter(([, m]) => m.has(user)).map(([group]) => group) };
  }

  private async members(group: string): Promise<Set<string>> {
    const cached = this.cache.get(group);
    if (cached && cached.until > this.now()) return cached.members;
    const result = await this.client.usergroups.users.list({ usergroup: group });
    const members = new Set(result.users ?? []);
    this.cache.set(group, { members, until: this.now() + this.ttlMs });
    return members;
  }
}
