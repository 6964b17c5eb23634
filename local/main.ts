import { ConfigError } from '../shared/domain/errors';
import { logger } from '../shared/observability/logger';
import { doctorMessage } from '../shared/slack/doctor-message';
import { forReading } from './console/terminal';
import { startLocal } from './runtime';
import { LocalStartError } from './start-errors';

/** `npm start`: the whole bot on this machine. */
async function main(): Promise<void> {
  const bot = await startLocal();
  const service = bot.config.services.keys().next().value ?? 'production/product-service';
  const [namespace, name] = service.split('/');
  console.log(`release-bot is listening on ${bot.url}
${bot.consoleUrl ? `Chat console: ${bot.consoleUrl}   (every Slack interaction in a browser, without a Slack workspace)\n` : ''}  POST ${bot.url}/flagger/<hook-type>   Flagger webhooks (confirm-rollout, pre-rollout, rollout, confirm-traffic-increase,
                                          confirm-promotion, post-rollout, rollback, event)
  POST ${bot.url}/alertmanager           Alertmanager webhook (Authorization: Bearer ${bot.alertmanagerToken})
  POST ${bot.url}/slack/events           Slack slash commands and interactivity (buttons, dialogs)
  GET  ${bot.url}/healthz
  GET  ${bot.url}/metrics                internal failures (a 403 that is the bot failing) and calls refused for load, counted
Config: ${bot.config.file} (${bot.config.services.size} services) · Slack: ${process.env.SLACK_BOT_TOKEN ? 'Web API' : bot.consoleUrl ? 'the chat console (no SLACK_BOT_TOKEN), and a line per message here' : 'a line per message here (no SLACK_BOT_TOKEN; the chat console is served on loopback addresses only)'}

Canary webhooks (paste under spec.analysis.webhooks of ${service}):
${['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion', 'rollback', 'event', 'post-rollout']
  .map(
    (type) => `    - name: release-bot-${type}
      type: ${type}
      url: ${bot.url}/flagger/${type}
      metadata:
        token: "${bot.flaggerToken}"`,
  )
  .join('\n')}

Try it (as Flagger, then as an approver in Slack, then as Flagger again):
  curl -i -d '{"name":"${name}","namespace":"${namespace}","phase":"Progressing","checksum":"abc123","metadata":{"token":"${bot.flaggerToken}"}}' ${bot.url}/flagger/confirm-promotion
  npm run slack -- "/canary approve ${service}" --user ${firstApprover(bot)}
${bot.notes.map((note) => `\n${note}`).join('')}`);
  void doctorBanner(bot);
  const stop = async (signal: string) => {
    console.log(`${signal}: finishing queued Slack work and stopping`);
    await bot.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/** `/canary doctor` for the services that name a cluster (the first ten), printed as each report comes in. */
async function doctorBanner(bot: Awaited<ReturnType<typeof startLocal>>): Promise<void> {
  const withCluster = [...bot.config.services.values()].filter((policy) => policy.cluster).slice(0, 10);
  await Promise.all(
    withCluster.map(async ({ service }) => {
      const text = forReading(doctorMessage(await bot.doctor(service)).text);
      console.log(`\n${text.replace(/\n/g, '\n    ')}`);
    }),
  );
}

function firstApprover(bot: Awaited<ReturnType<typeof startLocal>>): string {
  const policy = bot.config.services.values().next().value;
  return policy?.approvers.users[0] ?? 'U0APPROVER1';
}

/** A bad config, data folder or secrets file is told as the sentence it carries; anything else is logged with its stack. */
main().catch((error) => {
  if (error instanceof ConfigError || error instanceof LocalStartError) console.error(error.message);
  else logger.error('npm start failed', { error });
  process.exit(1);
});
