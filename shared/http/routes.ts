/**
 * Every HTTP route of the bot, in one table: the CDK stack makes API Gateway routes (and their throttling) of the
 * deployed ones, the local server answers all of them (`test/http/routes.test.ts` checks that both agree). Nothing
 * here imports a handler, so reading the table loads no Slack or AWS code.
 */
export type FunctionName = 'flagger' | 'slack' | 'alertmanager';

export interface Route {
  method: 'GET' | 'POST';
  /** API Gateway's path pattern: `{name}` is a path parameter. */
  path: string;
  /** `functions/<name>/handler.ts` on AWS; `local` routes exist only in `npm start`. */
  handler: FunctionName | 'local';
  /** API Gateway's limits for this route alone: steady requests per second, and burst. */
  throttle?: { rate: number; burst: number };
}

export const ROUTES = [
  // Flagger calls each hook of each Canary once per analysis interval; many Canaries at once stay far below this.
  { method: 'POST', path: '/flagger/{hook}', handler: 'flagger', throttle: { rate: 50, burst: 100 } },
  // Alertmanager groups alerts and sends one notification per group_interval; HA pairs double it.
  { method: 'POST', path: '/alertmanager', handler: 'alertmanager', throttle: { rate: 20, burst: 50 } },
  { method: 'POST', path: '/slack/events', handler: 'slack', throttle: { rate: 20, burst: 50 } },
  { method: 'GET', path: '/healthz', handler: 'local' },
  // Internal failures counted in process (on AWS they are CloudWatch metrics), in Prometheus' text format.
  { method: 'GET', path: '/metrics', handler: 'local' },
] as const satisfies readonly Route[];

export type DeployedRoute = Route & { handler: FunctionName; throttle: { rate: number; burst: number } };

/** The routes API Gateway serves, each with its function and throttling. */
export const deployedRoutes = (): DeployedRoute[] =>
  (ROUTES as readonly Route[]).filter((r): r is DeployedRoute => r.handler !== 'local' && r.throttle !== undefined);

/**
 * The route a local request path belongs to. A path parameter takes the rest of the path here, so `/flagger/a/b`
 * reaches the Flagger handler, whose 404 names the unknown hook, rather than a generic "not found". The method is
 * checked by the handlers, which answer 405 with a sentence.
 */
export function routeOf(path: string): Route | undefined {
  return (ROUTES as readonly Route[]).find((route) => {
    const parameter = route.path.indexOf('{');
    return parameter < 0 ? path === route.path : path.startsWith(route.path.slice(0, parameter));
  });
}

/** `POST /flagger/{hook}, POST /slack/events, ...`, for the local server's 404 sentence. */
export const routeList = (): string => ROUTES.map((r) => `${r.method} ${r.path}`).join(', ');
