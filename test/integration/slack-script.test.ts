import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalBot, startLocal } from '../../local/runtime';
import { FLAGGER_TOKEN, TEST_CONFIG } from '../../testkit/bot';

const ROOT = join(__dirname, '..', '..');

/**
 * `npm run slack`, as a person types it: node with tsx, in the repository, with only PATH and HOME set. Run
 * asynchronously: the bot it talks to lives in this process.
 */
function slackScript(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/slack-local.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: stdout.trim(), stderr: stderr.trim() }),
    );
  });
}

describe('Script: npm run slack (acting as Slack towards npm start)', () => {
  let root: string;
  let bot: LocalBot;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'release-bot-slack-script-'));
    writeFileSync(join(root, 'config.yaml'), TEST_CONFIG);
    // Any free port, and no signing secret given: the script must find both in the data folder.
    bot = await startLocal({
      PORT: '0',
      RELEASE_BOT_CONFIG: join(root, 'config.yaml'),
      RELEASE_BOT_DATA_DIR: join(root, 'data'),
      FLAGGER_WEBHOOK_TOKEN: FLAGGER_TOKEN,
    });
  }, 60_000);
  afterAll(async () => {
    await bot.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reaches the bot on whatever port npm start took, without PORT, with the secret npm start generated', async () => {
    const run = await slackScript(['/canary status production/product-service'], {
      RELEASE_BOT_DATA_DIR: join(root, 'data'),
    });

    expect(run).toMatchObject({ code: 0, stdout: '200 No release of production/product-service has been seen yet.' });
  });

  it('refuses an empty command with a sentence and the usage, sending nothing', async () => {
    const run = await slackScript([], { RELEASE_BOT_DATA_DIR: join(root, 'data') });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No command given: say what to send');
    expect(run.stderr).toContain('npm run slack -- "<command>"');
    expect(run.stdout).toBe('');
  });

  it('prints its usage for --help', async () => {
    const run = await slackScript(['--help'], {});

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Acts as Slack towards the local server');
  });
});
