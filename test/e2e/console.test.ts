import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { NOT_ALLOWED } from '../../local/console';
import { type LocalBot, startLocal } from '../../local/runtime';
import { FLAGGER_TOKEN, payload, TEST_CONFIG } from '../../testkit/bot';

/*
 * The chat console in a real browser (Debian's Chromium, driven by playwright-core): a release waits for approval,
 * someone not allowed is refused, an approver's click opens the gate, a rejection goes through the dialog, and a
 * typed /canary command answers. Flagger's calls are made here in Flagger's format; no cluster is needed.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the mid-release screenshot goes; the README shows the committed copy (test/console/console-mid-release.png). */
const SCREENSHOT = join(__dirname, '..', '..', '.build', 'console-mid-release.png');

describe('Chat console in Chromium', () => {
  let root: string;
  let bot: LocalBot;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'release-bot-console-e2e-'));
    writeFileSync(join(root, 'config.yaml'), TEST_CONFIG);
    bot = await startLocal(
      {
        PORT: '0',
        RELEASE_BOT_CONFIG: join(root, 'config.yaml'),
        RELEASE_BOT_DATA_DIR: join(root, 'data'),
        FLAGGER_WEBHOOK_TOKEN: FLAGGER_TOKEN,
      },
      undefined,
      { write: () => {} },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(bot.consoleUrl ?? '');
    await page.locator('#connection', { hasText: 'live' }).waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await bot?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const flagger = async (hook: string, body: unknown) =>
    (await fetch(`${bot.url}/flagger/${hook}`, { method: 'POST', body: JSON.stringify(body) })).status;
  const actAs = (user: string) => page.locator('#user').selectOption(user);
  const request = (release: number) =>
    page.locator('article.message', {
      hasText: `Promote the canary to primary for production/product-service release #${release}`,
    });

  it('a release waits for approval; someone not allowed is refused; an approver’s click opens the gate', async () => {
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-1', { deployer: 'U0DEPLOYER1' }))).toBe(403);
    await request(1).getByRole('button', { name: 'Approve' }).waitFor();
    await page.locator('#flagger .closed', { hasText: '403' }).first().waitFor();

    await actAs(NOT_ALLOWED);
    await request(1).getByRole('button', { name: 'Approve' }).click();
    await page.locator('article.ephemeral', { hasText: 'You cannot approve this' }).waitFor();
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-1'))).toBe(403);

    await actAs('U0APPROVER1');
    await request(1).getByRole('button', { name: 'Approve' }).click();
    await page
      .locator('article.message', { hasText: /approved/i })
      .first()
      .waitFor();
    await bot.queue.drain();

    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-1'))).toBe(200);
    await page.locator('#flagger .open', { hasText: '200' }).waitFor();
  });

  it('rejects through the dialog with a reason, shown as typed (markup included) in the thread', async () => {
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-2'))).toBe(403);
    await actAs('U0APPROVER2');
    await request(2).getByRole('button', { name: 'Reject' }).click();
    const dialog = page.locator('form.modal');
    await dialog.locator('textarea[name="reason"]').waitFor();

    await dialog.getByRole('button', { name: 'Reject' }).click();
    await dialog.locator('.error', { hasText: 'Please complete this required field' }).waitFor();
    await dialog
      .locator('textarea[name="reason"]')
      .fill('p95 too high <img src=x onerror="window.pwned=1"> <!channel>');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await dialog.locator('h2', { hasText: 'Rejected' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page
      .locator('article.message', { hasText: 'Reason: p95 too high <img src=x onerror="window.pwned=1"> <!channel>' })
      .first()
      .waitFor();
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('form.modal').count()).toBe(0);
    expect(await flagger('confirm-promotion', payload('Progressing', 'rev-2'))).toBe(403);
  });

  it('rolls back from /canary rollback’s confirmation, after the button’s own question', async () => {
    const release = { ...payload('Progressing', 'pay-1'), name: 'payment-service' };
    expect(await flagger('confirm-promotion', release)).toBe(403);
    await page.locator('nav button', { hasText: 'C0PAYMENTS1' }).click();
    await page.locator('#typed-user').fill('U0PAY00001');
    await page.locator('#command-text').fill('/canary rollback production/payment-service');
    await page.locator('#command button').click();
    const confirmation = page.locator('article.ephemeral', { hasText: 'Roll back production/payment-service' });
    await confirmation.waitFor();

    page.once('dialog', (dialog) => void dialog.accept());
    await confirmation.getByRole('button', { name: 'Yes, roll back' }).click();
    await page.locator('article.ephemeral', { hasText: 'Rollback requested: Flagger will roll back' }).waitFor();
    await bot.queue.drain();

    expect(await flagger('rollback', release)).toBe(200);
    await page.locator('#typed-user').fill('');
    await page.locator('nav button', { hasText: 'C0RELEASES1' }).click();
  });

  it('answers /canary status typed in the box, only for the person who typed it', async () => {
    await actAs('U0APPROVER1');
    await page.locator('#command-text').fill('/canary status production/product-service');
    await page.locator('#command button').click();

    const reply = page.locator('article.ephemeral', { hasText: 'production/product-service release #2' });
    await reply.waitFor();
    expect(await reply.locator('.only').textContent()).toBe('Only visible to @U0APPROVER1');
  });
});
