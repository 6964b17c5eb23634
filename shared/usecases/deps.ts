import type { BotConfig } from '../config/load';
import type { Directory } from '../ports/chat';
import type { Queue } from '../ports/queue';
import type { ReleaseStore } from '../ports/store';

/** What the use-cases need; each runtime (Lambda, local server, tests) builds one. */
export interface Deps {
  config: BotConfig;
  store: ReleaseStore;
  queue: Queue;
  directory: Directory;
  now: () => Date;
}
