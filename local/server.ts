import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { alertmanagerHandler } from '../functions/alertmanager/http-handler';
import { flaggerHandler } from '../functions/flagger/http-handler';
import { slackHandler } from '../functions/slack/http-handler';
import { NotFoundError } from '../shared/domain/errors';
import { errorResponse, type HttpResult, text } from '../shared/http/responses';
import { type Route, routeList, routeOf } from '../shared/http/routes';
import { ALERTMANAGER_FAILURES, FailureCounter, FLAGGER_FAILURES } from '../shared/observability/failure-counter';
import { logger } from '../shared/observability/logger';
import type { Deps } from '../shared/usecases/deps';
import { FLAGGER_CALLS_SHED, FlaggerAdmission, type LIMITS, loopDelayMonitor } from './admission';
import { send, sendRaw, toLambdaEvent } from './http-adapter';
import { LocalStartError } from './start-errors';

export interface ServerTimeouts {
  /** The request line and headers must have arrived by then. */
  headersMs: number;
  /** The whole request (headers and body) must have arrived by then. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs?: number;
}

/**
 * Chosen, not Node's defaults (60 s, 300 s, 5 s). Flagger waits 10 s for a webhook and Slack 3 s, and both send a
 * small request at once: a request still arriving after 10 s has no one waiting for its answer. Headers get 5 s,
 * so a slow-loris client (a byte now and then) holds a socket for 5 s, not a minute. Idle keep-alive connections
 * close after 5 s: Flagger calls each hook once per analysis interval (10 s or more) and opens a new connection
 * then, so holding idle sockets longer only gives clients sockets to pile up.
 */
export const TIMEOUTS: Required<ServerTimeouts> = { headersMs: 5_000, requestMs: 10_000, keepAliveMs: 5_000 };

export interface ServerOptions {
  deps: Deps;
  port: number;
  host?: string;
  flaggerToken: string;
  /** Alertmanager's `http_config.authorization` credentials; without one, every notification is refused 401. */
  alertmanagerToken?: string;
  slack: { signingSecret: string; botToken: string; apiUrl?: string };
  /** Tests shorten them; `npm start` uses TIMEOUTS. */
  timeouts?: ServerTimeouts;
  /** Where internal failures are counted (shown on `GET /metrics`); one is made if not given. */
  failures?: FailureCounter;
  /** The chat console: answers its own paths (true) before the bot's routes. */
  console?: { handle(req: IncomingMessage, res: ServerResponse): boolean };
  /** Past these, gate and rollback calls are refused at once (local/admission.ts LIMITS). */
  flaggerLimits?: typeof LIMITS;
  /** Told every Flagger webhook and what it was answered (the console's Flagger panel). */
  onFlaggerAnswer?: (event: APIGatewayProxyEventV2, answer: HttpResult) => void;
}

/** The local HTTP front: the same handlers as the Lambda functions, behind one Node server. */
export async function startServer(
  options: ServerOptions,
): Promise<{ server: Server; url: string; failures: FailureCounter }> {
  const failures = options.failures ?? new FailureCounter();
  const handlers: Record<Route['handler'], (event: APIGatewayProxyEventV2) => Promise<HttpResult>> = {
    flagger: flaggerHandler(
      async () => options.deps,
      [options.flaggerToken],
      async () => failures.count(FLAGGER_FAILURES),
    ),
    alertmanager: alertmanagerHandler(
      async () => options.deps,
      options.alertmanagerToken ? [options.alertmanagerToken] : [],
      async () => failures.count(ALERTMANAGER_FAILURES),
    ),
    slack: slackHandler(options.deps, options.slack),
    local: async (event) => localAnswer(event.rawPath, failures),
  };
  const loop = loopDelayMonitor();
  const admission = new FlaggerAdmission(failures, options.flaggerLimits, loop.delay);
  const route = async (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    const found = routeOf(event.rawPath);
    const answer = !found
      ? errorResponse(new NotFoundError(`Not found. Endpoints: ${routeList()}.`))
      : found.handler === 'flagger'
        ? await admission.run(event.rawPath, () => handlers.flagger(event))
        : await handlers[found.handler](event);
    if (found?.handler === 'flagger') options.onFlaggerAnswer?.(event, answer);
    // API Gateway sends its request id back in this header; so does the local server, to find the log lines.
    return { ...answer, headers: { ...answer.headers, 'apigw-requestid': event.requestContext.requestId } };
  };
  const timeouts = { ...TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // How often Node checks those timeouts (30 s by default, which would make a 5 s bound up to 35 s).
      connectionsCheckingInterval: Math.min(1000, timeouts.headersMs / 2),
    },
    (req, res) => {
      if (!options.console?.handle(req, res)) void answer(req, res, route);
    },
  );
  server.on('close', loop.stop);
  server.on('clientError', answerClientError);
  server.on('connect', (_req: IncomingMessage, socket: Duplex) =>
    sendRaw(socket, text(405, 'release-bot is not a proxy: CONNECT is not supported.')),
  );
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    send(res, text(417, `release-bot cannot meet "Expect: ${req.headers.expect}"; send the request without it.`)),
  );
  await listen(server, options.port, options.host ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host ?? '127.0.0.1'}:${port}`, failures };
}

/** Listens, or says plainly that the port is taken (most often by another `npm start`), instead of a stack trace. */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      reject(
        new LocalStartError(
          'PORT_IN_USE',
          `Port ${port} on ${host} is already in use, probably by another release-bot: stop it, or set PORT to another port.`,
          { cause: error },
        ),
      );
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** The routes only `npm start` has: a health check, and the failure counts an operator (or Prometheus) reads. */
function localAnswer(path: string, failures: FailureCounter): HttpResult {
  if (path === '/metrics')
    return text(200, failures.exposition([FLAGGER_FAILURES, ALERTMANAGER_FAILURES, FLAGGER_CALLS_SHED]));
  return text(200, 'ok');
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  route: (event: APIGatewayProxyEventV2) => Promise<HttpResult>,
): Promise<void> {
  try {
    const event = await toLambdaEvent(req);
    send(res, 'statusCode' in event ? event : await route(event));
  } catch (error) {
    // The handlers answer their own failures; this is the request itself failing. A closed socket means the client
    // went away or was already answered 408: nobody to tell. Otherwise never a 5xx: Flagger retries those.
    if (req.socket.destroyed) return;
    logger.error('request failed before a handler answered; answered 400', { error });
    send(res, text(400, 'release-bot could not read this request; see its log.'));
  }
}

/**
 * Requests Node rejects before there is a ServerResponse (malformed, too large, too slow): by default Node answers
 * them with an empty body. Mirrors Node's own handler, with a sentence.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  sendRaw(socket, clientErrorAnswer(error.code));
}

function clientErrorAnswer(code: string | undefined): HttpResult {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return text(408, 'The request took too long to arrive; Flagger and Slack send theirs at once.');
    case 'HPE_HEADER_OVERFLOW':
      return text(431, 'The request headers are larger than 16 KiB.');
    default:
      return text(400, 'The request is not valid HTTP/1.1.');
  }
}
