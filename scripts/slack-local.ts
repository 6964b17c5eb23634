import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sign, slashCommand } from '../testkit/slack-requests';

/**
 * Acts as Slack towards the local server: sends a `/canary` command signed with the local signing secret, exactly
 * as Slack would. For trying the flow without a workspace:
 *   npm run slack -- "approve production/product-service" --user U0APPROVER1
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string', default: 'U0APPROVER1' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 3000}` },
  },
});
const dataDir = process.env.RELEASE_BOT_DATA_DIR ?? '.release-bot';
const secret =
  process.env.SLACK_SIGNING_SECRET ??
  (JSON.parse(readFileSync(join(dataDir, 'local-secrets.json'), 'utf8')) as { signingSecret: string }).signingSecret;
const text = positionals.join(' ').replace(/^\/canary\s*/, '');
const request = sign(slashCommand(text, values.user ?? 'U0APPROVER1'), secret);

fetch(`${values.url}/slack/events`, { method: 'POST', body: request.body, headers: request.headers })
  .then(async (res) => {
    const body = await res.text();
    const shown = res.headers.get('content-type')?.includes('json')
      ? (JSON.parse(body) as { text?: string }).text
      : body;
    console.log(`${res.status} ${shown ?? ''}`);
  })
  .catch((error: Error) => {
    console.error(`could not reach ${values.url}: ${error.message}. Is \`npm start\` running?`);
    process.exit(1);
  });
