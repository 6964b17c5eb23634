import { startHarness } from '../../testkit/bot';
import { confirmPromotion, loadConfig } from './releases';

/**
 * The bot under load: `npm start`'s composition (local server, dynalite on disk, the outbox queue) with a fake Slack
 * on loopback, SERVICES canaries configured, and each one's promotion gate already waiting for approval, so every
 * call the generator sends is the common one: a confirm-promotion tick that finds the gate still waiting.
 * Prints {"ready": url} when ready; answers "rss" messages; stops on SIGTERM.
 */
const SERVICES = Number(process.env.SERVICES ?? 200);

async function main(): Promise<void> {
  const h = await startHarness(loadConfig(SERVICES));
  for (let i = 0; i < SERVICES; i++) {
    const answer = await h.post('/flagger/confirm-promotion', confirmPromotion(i, SERVICES));
    if (answer.status !== 403) throw new Error(`opening gate ${i}: ${answer.status} ${answer.text}`);
  }
  process.on('message', (m) => {
    if (m === 'rss') process.send?.(process.memoryUsage().rss);
  });
  process.once('SIGTERM', () => {
    void h.stop().then(() => process.exit(0));
  });
  console.log(JSON.stringify({ ready: h.bot.url }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
