import type { App } from '@slack/bolt';
import * as z from 'zod';
import type { DecisionOutcome } from '../domain/outcomes';
import type { Queue } from '../ports/queue';
import { currentRun } from '../usecases/current-run';
import { approve, reject, requestRollback, setPause } from '../usecases/decisions';
import type { Deps } from '../usecases/deps';
import { history, listServices, status } from '../usecases/queries';
import { confirmRunbook, runNamedRunbook } from '../usecases/runbook-commands';
import { decisionText, replyText } from './answers';
import {
  ACTIONS,
  REJECT_VIEW,
  type RequestRef,
  type RunbookRef,
  rejectReasonView,
  resultView,
  rollbackConfirmation,
} from './blocks';
import { HELP, parseCommand } from './commands';
import { historyText, listText, statusText } from './query-answers';

/**
 * The Slack listeners, the same on Lambda, on the local server and in Socket Mode. Each one calls a use case
 * within Slack's 3 s and renders its outcome for the person who acted; what it posts later goes through the queue
 * (the use cases' events, and this presenter's own `tell-user` and `snapshot-for-user` jobs).
 */
export function registerListeners(app: App, deps: Deps, command = '/canary'): void {
  app.command(command, async ({ command: cmd, ack }) => {
    const who = { user: cmd.user_id, via: cmd.channel_id };
    const parsed = parseCommand(cmd.text, deps.config);
    if ('error' in parsed) return ack({ response_type: 'ephemeral', text: parsed.error });
    switch (parsed.verb) {
      case 'help':
        return ack({ response_type: 'ephemeral', text: HELP });
      case 'list':
        return ack({ response_type: 'ephemeral', text: listText(await listServices(deps)) });
      case 'status':
        return ack({ response_type: 'ephemeral', text: statusText(await status(deps, parsed.service)) });
      case 'history':
        return ack({ response_type: 'ephemeral', text: historyText(await history(deps, parsed.service)) });
      case 'snapshot': {
        // Prometheus queries stay off Slack's 3 s path: the worker answers.
        if (!deps.metrics)
          return ack({ response_type: 'ephemeral', text: 'No Prometheus is configured (prometheus.url).' });
        await deps.queue.send({
          kind: 'snapshot-for-user',
          service: parsed.service,
          channel: cmd.channel_id,
          user: cmd.user_id,
        });
        return ack({ response_type: 'ephemeral', text: `Taking a snapshot of ${parsed.service}...` });
      }
      case 'doctor': {
        // The cluster is read by the worker, which alone may reach the apiserver on AWS.
        const cluster = deps.config.services.get(parsed.service)?.cluster;
        if (!cluster)
          return ack({
            response_type: 'ephemeral',
            text: `${parsed.service} names no cluster (services.${parsed.service}.cluster): the doctor reads its Canary from one.`,
          });
        await deps.queue.send({
          kind: 'doctor-for-user',
          service: parsed.service,
          channel: cmd.channel_id,
          user: cmd.user_id,
        });
        return ack({
          response_type: 'ephemeral',
          text: `Checking ${parsed.service}'s Canary and mesh in cluster ${cluster}...`,
        });
      }
      case 'approve':
        return ack(reply(await approve(deps, parsed.service, who, parsed.gate)));
      case 'reject':
        return ack(reply(await reject(deps, parsed.service, who, parsed.reason)));
      case 'pause':
        return ack(reply(await setPause(deps, parsed.service, who, true, parsed.reason)));
      case 'resume':
        return ack(reply(await setPause(deps, parsed.service, who, false)));
      case 'rollback': {
        if (parsed.dryRun)
          return ack(
            reply(await requestRollback(deps, parsed.service, who, 'preview asked with /canary', { dryRun: true })),
          );
        const run = await currentRun(deps.store, parsed.service);
        if (!run || run.state === 'ended') {
          return ack({ response_type: 'ephemeral', text: `No release of ${parsed.service} is in progress.` });
        }
        return ack({ response_type: 'ephemeral', ...rollbackConfirmation(run) });
      }
      case 'runbook':
        return ack(reply(await runNamedRunbook(deps, parsed.service, who, parsed.runbook, { dryRun: parsed.dryRun })));
    }
  });

  // Preview: the service's rollback runbook as a dry run, pinned to the run the button was posted for.
  app.action(ACTIONS.previewRollback, async ({ ack, body, action }) => {
    await ack();
    const click = readClick(body, action);
    if (!click) return;
    if (!click.ref) return tell(deps, click.channel, click.user, NOT_OURS);
    const { ref } = click;
    const result = await requestRollback(
      deps,
      ref.s,
      { user: click.user, via: click.channel, request: { run: ref.r, gate: ref.g, attempt: ref.a } },
      'preview from Slack',
      { dryRun: true },
    );
    await tell(deps, click.channel, click.user, replyText(result));
  });

  // Confirm: the execution the button names, of the run it names; the use case checks who may and whether it waits.
  app.action(ACTIONS.confirmRunbook, async ({ ack, body, action }) => {
    await ack();
    const click = readClick(body, action);
    if (!click) return;
    const ref = parse(runbookRefSchema, buttonValue(action));
    if (!ref) return tell(deps, click.channel, click.user, NOT_OURS);
    const result = await confirmRunbook(deps, ref.s, { user: click.user, via: click.channel }, ref.r, ref.e);
    await tell(deps, click.channel, click.user, replyText(result));
  });

  app.action(ACTIONS.approve, async ({ ack, body, action }) => {
    await ack();
    const click = readClick(body, action);
    if (!click) return;
    if (!click.ref) return tell(deps, click.channel, click.user, NOT_OURS);
    const { ref } = click;
    const result = await approve(deps, ref.s, {
      user: click.user,
      via: click.channel,
      request: { run: ref.r, gate: ref.g, attempt: ref.a },
    });
    await tell(deps, click.channel, click.user, replyText(result));
  });

  app.action(ACTIONS.rollback, async ({ ack, body, action }) => {
    await ack();
    const click = readClick(body, action);
    if (!click) return;
    if (!click.ref) return tell(deps, click.channel, click.user, NOT_OURS);
    const { ref } = click;
    const result = await requestRollback(
      deps,
      ref.s,
      { user: click.user, via: click.channel, request: { run: ref.r, gate: ref.g, attempt: ref.a } },
      'rolled back from Slack',
    );
    await tell(deps, click.channel, click.user, replyText(result));
  });

  // Reject asks for a reason first; the modal must open while the click's trigger_id is fresh (3 s).
  app.action(ACTIONS.reject, async ({ ack, body, action, client }) => {
    await ack();
    const click = readClick(body, action);
    if (!click) return;
    if (!click.ref || !('trigger_id' in body)) return tell(deps, click.channel, click.user, NOT_OURS);
    const view = rejectReasonView(click.ref);
    view.private_metadata = JSON.stringify({ ...click.ref, c: click.channel });
    try {
      await client.views.open({ trigger_id: body.trigger_id, view });
    } catch (error) {
      // An expired trigger or Slack being down: the click must not vanish, and /canary reject still works.
      const detail = error instanceof Error ? error.message : String(error);
      await tell(
        deps,
        click.channel,
        click.user,
        `:no_entry_sign: The reason dialog could not be opened (${detail}); nothing was rejected. Try again, or use \`/canary reject ${click.ref.s} <reason>\`.`,
      );
    }
  });

  app.view(REJECT_VIEW, async ({ ack, body, view }) => {
    const ref = parse(viewRefSchema, view.private_metadata);
    const reason = view.state.values.reason?.value?.value ?? '';
    if (!ref) return ack({ response_action: 'errors', errors: { reason: NOT_OURS_SENTENCE } });
    const user = body.user?.id;
    if (!user) return ack({ response_action: 'errors', errors: { reason: 'Slack did not say who you are.' } });
    const result = await reject(
      deps,
      ref.s,
      { user, via: ref.c || 'modal', request: { run: ref.r, gate: ref.g, attempt: ref.a } },
      reason,
    );
    // A refusal stays in the dialog, next to the reason; an accepted rejection replaces it with what happens next.
    if (result.result === 'refused')
      return ack({ response_action: 'errors', errors: { reason: decisionText(result) } });
    await ack({ response_action: 'update', view: resultView('Rejected', decisionText(result)) });
    if (ref.c) await tell(deps, ref.c, user, replyText(result));
  });
}

/** A button value the bot did not make (edited, truncated, or from another app): said, never silently ignored. */
const NOT_OURS_SENTENCE =
  'That button is not one release-bot made (its value cannot be read), so nothing was done. Use the buttons of the newest approval request in the thread, or `/canary`.';
const NOT_OURS = `:no_entry_sign: ${NOT_OURS_SENTENCE}`;

interface Click {
  user: string;
  channel: string;
  ref: RequestRef | undefined;
}

/** Who clicked where, and the request the button points at; undefined when there is nobody to answer. */
function readClick(body: { user?: { id?: string }; channel?: { id?: string } }, action: unknown): Click | undefined {
  const user = body.user?.id;
  if (!user) return undefined;
  return { user, channel: body.channel?.id ?? '', ref: parse(requestRefSchema, buttonValue(action)) };
}

const buttonValue = (action: unknown): string | undefined => {
  const value = typeof action === 'object' && action !== null && 'value' in action ? action.value : undefined;
  return typeof value === 'string' ? value : undefined;
};

const reply = (outcome: DecisionOutcome) => ({ response_type: 'ephemeral' as const, text: replyText(outcome) });

/** An answer to a click goes through the queue: the click was acknowledged already. */
async function tell(deps: { queue: Queue }, channel: string, user: string, text: string): Promise<void> {
  if (!channel) return;
  await deps.queue.send({ kind: 'tell-user', channel, user, text });
}

/*
 * Button values and modal metadata come back from Slack, and anyone who can craft a request could change them: they
 * are read with a schema, bounded, and anything else is "not ours". The use cases check the rest (who, which run).
 */
const serviceId = z.string().min(1).max(300);
const requestRefSchema = z.object({
  s: serviceId,
  r: z.number().int().positive(),
  g: z.string().max(200),
  a: z.number().int().min(0),
}) satisfies z.ZodType<RequestRef>;
const viewRefSchema = requestRefSchema.extend({ c: z.string().max(40).optional() });
const runbookRefSchema = z.object({
  s: serviceId,
  r: z.number().int().positive(),
  e: z.string().min(1).max(200),
}) satisfies z.ZodType<RunbookRef>;

function parse<T>(schema: z.ZodType<T>, value: string | undefined): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(value ?? ''));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
