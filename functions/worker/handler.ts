import { clusters } from '../aws/clusters';
import { core } from '../aws/core';
import { chat } from '../aws/slack';
import { workerHandler } from './handle';

export const handler = workerHandler(async () => ({ ...core, chat, clusters }));
