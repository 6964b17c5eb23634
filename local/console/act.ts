import * as z from 'zod';
import { blockActions, type InputValues, sign, slashCommand, submission } from './slack-payloads';
import type { Workspace } from './workspace';

/**
 * What a person does on the console page, sent to the bot as Slack would send it: a signed request to
 * /slack/events, through the same edge and Bolt listeners as real Slack. The bot's answer comes back the way Slack
 * shows it: a command's reply as an ephemeral message, a dialog's answer in the dialog.
 */
const userId = z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'a Slack user ID looks like U0123ABCD');
const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,20}$/, 'a Slack channel ID looks like C0123ABCD');

export const actSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('command'), user: userId, channel: channelId, text: z.string().max(4000) }),
  z.strictObject({
    kind: z.literal('click'),
    user: userId,
    channel: channelId,
    ts: z.string().max(40),
    actionId: z.string().max(255),
    value: z.string().max(2000),
  }),
  z.strictObject({
    kind: z.literal('submit'),
    user: userId,
    viewId: z.string().max(40),
    values: z.record(z.string().max(255), z.string().max(3000)),
  }),
  z.strictObject({ kind: z.literal('close'), user: userId }),
]);
export type ConsoleAct = z.infer<typeof actSchema>;

export interface ActTarget {
  workspace: Workspace;
  /** The bot's own /slack/events. */
  eventsUrl: string;
  signingSecret: string;
  /** What the bot may call back for a command (`response_url`). */
  responseUrl: string;
}

/** The bot's HTTP answer, and a sentence when the console itself could not act. */
export interface ActResult {
  status: number;
  said: string;
}

export async function act(target: ActTarget, request: ConsoleAct): Promise<ActResult> {
  const { workspace } = target;
  switch (request.kind) {
    case 'command': {
      const reach = { responseUrl: target.responseUrl, triggerId: workspace.newTrigger(request.user) };
      const answer = await send(target, slashCommand(request.text, request.user, request.channel, reach));
      const reply = readReply(answer.body);
      if (reply)
        workspace.post({
          channel: request.channel,
          text: reply.text,
          ...(reply.blocks ? { blocks: reply.blocks } : {}),
          ...(reply.inChannel ? {} : { onlyFor: request.user }),
        });
      return { status: answer.status, said: reply?.text ?? answer.body };
    }
    case 'click': {
      const message = workspace.message(request.channel, request.ts);
      if (!message || (message.onlyFor && message.onlyFor !== request.user))
        return { status: 404, said: 'That message is not in this channel (any more).' };
      const button = findButton(message.blocks, request.actionId, request.value);
      if (!button) return { status: 404, said: 'That message has no such button (it was edited since).' };
      const reach = { responseUrl: target.responseUrl, triggerId: workspace.newTrigger(request.user) };
      const body = blockActions(
        { actionId: request.actionId, value: request.value, blockId: button.blockId, text: button.text },
        request.user,
        request.channel,
        {
          ts: message.ts,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks } : {}),
          ephemeral: !!message.onlyFor,
        },
        reach,
      );
      const answer = await send(target, body);
      return { status: answer.status, said: answer.body };
    }
    case 'submit': {
      const open = workspace.viewById(request.viewId);
      if (!open || open.user !== request.user) return { status: 404, said: 'That dialog is not open for this user.' };
      const view = open.view as { callback_id?: string; private_metadata?: string; blocks?: unknown[] };
      // Slack's client checks required inputs itself and sends nothing until they are filled in.
      const missing = requiredEmpty(view.blocks, request.values);
      if (missing.length) {
        workspace.answerView(open.id, { errors: Object.fromEntries(missing.map((id) => [id, REQUIRED])) });
        return { status: 422, said: `${REQUIRED} Slack does not send the dialog until then.` };
      }
      const body = submission(
        {
          id: open.id,
          callbackId: String(view.callback_id ?? ''),
          privateMetadata: String(view.private_metadata ?? ''),
        },
        inputValues(view.blocks, request.values),
        request.user,
        workspace.newTrigger(request.user),
      );
      const answer = await send(target, body);
      workspace.answerView(open.id, viewAnswer(answer.body));
      return { status: answer.status, said: answer.body };
    }
    case 'close':
      workspace.closeView(request.user);
      return { status: 200, said: 'closed' };
  }
}

async function send(target: ActTarget, body: string): Promise<{ status: number; body: string }> {
  const signed = sign(body, target.signingSecret);
  const response = await fetch(target.eventsUrl, { method: 'POST', headers: signed.headers, body: signed.body });
  return { status: response.status, body: await response.text() };
}

const replySchema = z.looseObject({
  text: z.string().default(''),
  blocks: z.array(z.unknown()).optional(),
  response_type: z.string().optional(),
});

/** A command's acknowledgement: JSON (text, blocks) or plain text; nothing for an empty 200. */
function readReply(body: string): { text: string; blocks?: unknown[]; inChannel: boolean } | undefined {
  if (!body) return undefined;
  try {
    const parsed = replySchema.safeParse(JSON.parse(body));
    if (parsed.success)
      return {
        text: parsed.data.text,
        ...(parsed.data.blocks ? { blocks: parsed.data.blocks } : {}),
        inChannel: parsed.data.response_type === 'in_channel',
      };
  } catch {
    // Plain text is a reply too.
  }
  return { text: body, inChannel: false };
}

const viewAnswerSchema = z.looseObject({
  response_action: z.enum(['errors', 'update', 'push', 'clear']).optional(),
  errors: z.record(z.string(), z.string()).optional(),
  view: z.record(z.string(), z.unknown()).optional(),
});

/** Slack's answers to a submission: errors keep the dialog open, `update` replaces it, anything else closes it. */
function viewAnswer(body: string): Parameters<Workspace['answerView']>[1] {
  try {
    const answer = viewAnswerSchema.parse(JSON.parse(body || '{}'));
    if (answer.response_action === 'errors' && answer.errors) return { errors: answer.errors };
    if ((answer.response_action === 'update' || answer.response_action === 'push') && answer.view)
      return { view: answer.view };
  } catch {
    // An empty or non-JSON 200 closes the dialog, as in Slack.
  }
  return 'close';
}

interface ButtonElement {
  type?: string;
  action_id?: string;
  value?: string;
  text?: { text?: string };
}

function findButton(
  blocks: unknown[] | undefined,
  actionId: string,
  value: string,
): { blockId: string; text: string } | undefined {
  for (const block of (blocks ?? []) as {
    block_id?: string;
    elements?: ButtonElement[];
    accessory?: ButtonElement;
  }[]) {
    const elements = [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])];
    const found = elements.find((e) => e.type === 'button' && e.action_id === actionId && (e.value ?? '') === value);
    if (found) return { blockId: block.block_id ?? 'actions', text: found.text?.text ?? actionId };
  }
  return undefined;
}

const REQUIRED = 'Please complete this required field.';

interface InputBlock {
  type?: string;
  block_id?: string;
  optional?: boolean;
  element?: { action_id?: string };
}

function requiredEmpty(blocks: unknown[] | undefined, typed: Record<string, string>): string[] {
  return ((blocks ?? []) as InputBlock[])
    .filter((b) => b.type === 'input' && b.block_id && !b.optional && !(typed[b.block_id] ?? '').trim())
    .map((b) => b.block_id ?? '');
}

/** The typed values under the dialog's input blocks, keyed as Slack keys them. */
function inputValues(blocks: unknown[] | undefined, typed: Record<string, string>): InputValues {
  const values: InputValues = {};
  for (const block of (blocks ?? []) as InputBlock[]) {
    if (block.type !== 'input' || !block.block_id) continue;
    values[block.block_id] = {
      [block.element?.action_id ?? 'value']: { type: 'plain_text_input', value: typed[block.block_id] ?? '' },
    };
  }
  return values;
}
