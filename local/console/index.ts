import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { BotConfig } from '../../shared/config/load';
import { type HttpResult, rawBody } from '../../shared/http/responses';
import { type ConsoleRoutes, consoleRoutes } from './routes';
import { pageScript } from './script';
import { terminalSummary } from './terminal';
import { startWebApi, type WebApi } from './web-api';
import { type FlaggerCall, Workspace } from './workspace';

/**
 * The chat console, for `npm start` without a Slack workspace: a stand-in Web API the bot posts to, the page that
 * shows it at /console, and a summary line per message in the terminal.
 */
export interface ChatConsole {
  webApi: WebApi;
  workspace: Workspace;
  /** The routes, once the server's address is known. */
  routes(server: { url: string; port: number; signingSecret: string }): ConsoleRoutes;
  tapFlagger(event: APIGatewayProxyEventV2, answer: HttpResult): void;
  close(): Promise<void>;
}

/** Someone no config lists: acting as them shows the refusals. */
export const NOT_ALLOWED = 'U0NOTALLOWED';

export async function startConsole(config: BotConfig, write: (line: string) => void): Promise<ChatConsole> {
  const workspace = new Workspace();
  const webApi = await startWebApi(workspace);
  const deployers = new Set<string>();
  let token = '';
  let url = '';
  const stopSummary = workspace.onChange(terminalSummary(write, (id) => `${url}/console/files/${id}?token=${token}`));

  const users = () => {
    const approvers = new Map<string, string[]>();
    for (const [service, policy] of config.services)
      for (const user of policy.approvers.users) approvers.set(user, [...(approvers.get(user) ?? []), service]);
    return [
      ...[...approvers].map(([id, services]) => ({ id, label: `${id} (approves ${services.join(', ')})` })),
      ...[...deployers].filter((id) => !approvers.has(id)).map((id) => ({ id, label: `${id} (deployer)` })),
      { id: NOT_ALLOWED, label: `${NOT_ALLOWED} (not allowed to approve)` },
    ];
  };

  return {
    webApi,
    workspace,
    routes: (server) => {
      url = server.url;
      const routes = consoleRoutes({
        workspace,
        target: () => ({
          workspace,
          eventsUrl: `${server.url}/slack/events`,
          signingSecret: server.signingSecret,
          responseUrl: `${server.url}/console/response`,
          port: server.port,
        }),
        users,
        channels: () => [...new Set([...config.services.values()].map((p) => p.channel))],
        script: pageScript,
      });
      token = routes.token;
      return routes;
    },
    tapFlagger: (event, answer) => {
      const call = flaggerCall(event, answer);
      workspace.recordFlagger(call.call);
      // The deployer of a release is someone worth acting as: self-approval is refused for them.
      if (call.deployer && deployers.size < 20) deployers.add(call.deployer);
    },
    close: async () => {
      stopSummary();
      await webApi.close();
    },
  };
}

function flaggerCall(event: APIGatewayProxyEventV2, answer: HttpResult): { call: FlaggerCall; deployer?: string } {
  let body: { name?: unknown; namespace?: unknown; phase?: unknown; metadata?: { deployer?: unknown } } = {};
  try {
    body = JSON.parse(rawBody(event)) ?? {};
  } catch {
    // A malformed hook is shown with what the bot answered it (a 400 with a sentence).
  }
  const short = (value: unknown, max = 120) => (typeof value === 'string' ? value.slice(0, max) : '');
  const deployer = short(body?.metadata?.deployer, 40);
  return {
    call: {
      at: new Date().toISOString(),
      hook: event.rawPath.replace(/^\/flagger\//, '').slice(0, 60),
      canary: body?.namespace || body?.name ? `${short(body.namespace)}/${short(body.name)}` : '(unreadable)',
      phase: short(body?.phase, 40),
      status: answer.statusCode,
      answer: answer.body.trim().slice(0, 300),
    },
    ...(/^[UW][A-Z0-9]{2,20}$/.test(deployer) ? { deployer } : {}),
  };
}
