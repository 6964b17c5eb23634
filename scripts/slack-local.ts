import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVER_URL_FILE } from '../local/server-url';
import { sign, slashCommand } from '../testkit/slack-requests';

const HELP = `Acts as Slack towards the local server: sends a /canary command signed with the local signing secret, exactly
as Slack would, and prints the answer.

  npm run slack -- "<command>" [--user U0APPROVER1] [--url http://127.0.0.1:3000]

  npm run slack -- "approve production/product-service" --user U0APPROVER1
  npm run slack -- "/canary status production/product-service"
  npm run slack -- help

The server is found at --url, else at PORT, else where the running \`npm start\` wrote it in the data folder
(RELEASE_BOT_DATA_DIR, default .release-bot), else at port 3000.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string', default: 'U0APPROVER1' },
    url: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const text = positionals
  .join(' ')
  .replace(/^\/canary\s*/, '')
  .trim();
if (!text) {
  console.error(
    `No command given: say what to send, e.g. npm run slack -- "status production/product-service".\n\n${HELP}`,
  );
  process.exit(2);
}
const dataDir = process.env.RELEASE_BOT_DATA_DIR ?? '.release-bot';
const written = join(dataDir, SERVER_URL_FILE);
const url =
  values.url ??
  (process.env.PORT ? `http://127.0.0.1:${process.env.PORT}` : undefined) ??
  (existsSync(written) ? readFileSync(written, 'utf8').trim() : 'http://127.0.0.1:3000');
const secretsFile = join(dataDir, 'local-secrets.json');
if (!process.env.SLACK_SIGNING_SECRET && !existsSync(secretsFile)) {
  console.error(
    `No signing secret: ${secretsFile} does not exist. Start the bot with \`npm start\` first (or set SLACK_SIGNING_SECRET).`,
  );
  process.exit(1);
}
const secret =
  process.env.SLACK_SIGNING_SECRET ??
  (JSON.parse(readFileSync(secretsFile, 'utf8')) as { signingSecret: string }).signingSecret;
const request = sign(slashCommand(text, values.user ?? 'U0APPROVER1'), secret);

fetch(`${url}/slack/events`, { method: 'POST', body: request.body, headers: request.headers })
  .then(async (res) => {
    const body = await res.text();
    const shown = res.headers.get('content-type')?.includes('json')
      ? (JSON.parse(body) as { text?: string }).text
      : body;
    console.log(`${res.status} ${shown ?? ''}`);
  })
  .catch((error: Error) => {
    console.error(`could not reach ${url}: ${error.message}. Is \`npm start\` running?`);
    process.exit(1);
  });
