import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { flaggerHandler } from '../functions/flagger/handle';
import { slackHandler } from '../functions/slack/handle';
import { type HttpResult, text } from '../shared/http/responses';
import type { Deps } from '../shared/usecases/deps';
import { send, toLambdaEvent } from './http-adapter';

export interface ServerOptions {
  deps: Deps;
  port: number;
  host?: string;
  flaggerToken: string;
  slack: { signingSecret: string; botToken: string; apiUrl?: string };
}

/** The local HTTP front: the same handlers as the Lambda functions, behind one Node server. */
export async function startServer(options: ServerOptions): Promise<{ server: Server; url: string }> {
  const onFlagger = flaggerHandler(async () => options.deps, options.flaggerToken);
  const onSlack = slackHandler(options.deps, options.slack);
  const route = async (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    if (event.rawPath === '/healthz') return text(200, 'ok');
    if (event.rawPath.startsWith('/flagger/')) return onFlagger(event);
    if (event.rawPath === '/slack/events') return onSlack(event);
    return text(404, 'Not found. Endpoints: POST /flagger/<hook-type>, POST /slack/events, GET /healthz.');
  };
  const server = createServer(async (req, res) => {
    try {
      const event = await toLambdaEvent(req);
      send(res, 'statusCode' in event ? event : await route(event));
    } catch (error) {
      console.error(`request failed: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) send(res, text(500, 'release-bot failed to handle this request; see its log.'));
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host ?? '127.0.0.1'}:${port}` };
}
