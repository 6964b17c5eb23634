import type { KnownBlock } from '@slack/types';

/** Slack as the bot uses it. Blocks are Block Kit; `text` is the notification and screen-reader fallback. */
export interface ChatMessage {
  text: string;
  blocks?: KnownBlock[];
}

export interface Chat {
  post(
    channel: string,
    message: ChatMessage,
    thread?: { ts: string; broadcast?: boolean },
  ): Promise<{ channel: string; ts: string }>;
  update(channel: string, ts: string, message: ChatMessage): Promise<void>;
  postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void>;
  /** Shares a file (a metric chart) in the channel, or in a thread of it; `altText` is what a screen reader says. */
  upload(channel: string, file: ChatFile, thread?: { ts: string }): Promise<void>;
}

export interface ChatFile {
  filename: string;
  content: Buffer;
  title: string;
  altText: string;
}

/** Which of the given user groups a user belongs to, and why that answer may be out of date or incomplete. */
export interface Membership {
  groups: string[];
  /** Set when the directory could not be asked in time (slow or failing) and older or no knowledge was used. */
  caveat?: string;
}

/** Never throws and answers within a bounded time: a slow directory must not keep Slack waiting past 3 s. */
export interface Directory {
  groupsOf(user: string, groups: readonly string[]): Promise<Membership>;
}
