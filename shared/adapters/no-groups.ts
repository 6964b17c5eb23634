import type { Directory } from '../ports/chat';

/** No Slack API to ask (the chat console, tests): nobody is in any user group; listed users still count. */
export const noGroups: Directory = { groupsOf: async () => ({ groups: [] }) };
