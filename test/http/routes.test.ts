import { deployedRoutes, ROUTES, routeOf } from '../../shared/http/routes';
import { type Harness, payload, startHarness } from '../../testkit/bot';
import { synth } from '../infra/synth';

/** A path that matches a route pattern: `{hook}` filled in. */
const concrete = (path: string) => path.replace('{hook}', 'confirm-promotion');

describe('Routes table: the CDK stack and the local server serve the same routes', () => {
  it('makes exactly one API Gateway route per deployed route, with its function and its throttling', () => {
    const { template } = synth();

    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as {
      Properties: { RouteKey: string; Target: { 'Fn::Join': [string, unknown[]] } };
    }[];
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
      Properties: { RouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> };
    };
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration') as Record<
      string,
      { Properties: { IntegrationUri: { 'Fn::GetAtt': [string, string] } } }
    >;
    const functionOf = (routeKey: string) => {
      const route = routes.find((r) => r.Properties.RouteKey === routeKey);
      const target = JSON.stringify(route?.Properties.Target);
      const integration = Object.entries(integrations).find(([id]) => target.includes(id))?.[1];
      return integration?.Properties.IntegrationUri['Fn::GetAtt'][0];
    };

    const expected = deployedRoutes();
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
      expected.map((r) => `${r.method} ${r.path}`).sort(),
    );
    for (const route of expected) {
      const key = `${route.method} ${route.path}`;
      expect(stage.Properties.RouteSettings[key]).toEqual({
        ThrottlingRateLimit: route.throttle.rate,
        ThrottlingBurstLimit: route.throttle.burst,
      });
      // The function's logical id starts with its name: FlaggerFunction…, SlackFunction….
      expect(functionOf(key)).toMatch(new RegExp(`^${route.handler.charAt(0).toUpperCase()}${route.handler.slice(1)}`));
    }
  });

  it('deploys every route but the local-only ones', () => {
    expect(deployedRoutes().map((r) => r.path)).toEqual(ROUTES.filter((r) => r.handler !== 'local').map((r) => r.path));
  });

  it('matches a request path to its route, a path parameter taking the rest of the path locally', () => {
    expect(routeOf('/flagger/confirm-promotion')?.handler).toBe('flagger');
    expect(routeOf('/flagger/a/b')?.handler).toBe('flagger');
    expect(routeOf('/slack/events')?.handler).toBe('slack');
    expect(routeOf('/slack/events/x')).toBeUndefined();
    expect(routeOf('/healthz')?.handler).toBe('local');
    expect(routeOf('/')).toBeUndefined();
  });
});

describe('Local server: answers every route of the table, and lists them for any other path', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.stop();
  });

  it.each(ROUTES.map((r) => [r.method, r.path, r.handler] as const))(
    'answers %s %s through its %s handler (not the "not found" answer)',
    async (method, path) => {
      const res = await fetch(`${h.bot.url}${concrete(path)}`, {
        method,
        ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      });
      const text = await res.text();

      expect(text).not.toContain('Not found. Endpoints');
      expect(res.status).toBeLessThan(500);
    },
  );

  it('answers an unknown path with 404 and the routes of the table', async () => {
    const res = await fetch(`${h.bot.url}/nowhere`);

    expect(res.status).toBe(404);
    expect(await res.text()).toBe(
      'Not found. Endpoints: POST /flagger/{hook}, POST /alertmanager, POST /slack/events, GET /healthz, GET /metrics.\n',
    );
  });

  it('sends back a request id, as API Gateway does in apigw-requestid, different for each request', async () => {
    const first = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const a = await fetch(`${h.bot.url}/healthz`);
    const b = await fetch(`${h.bot.url}/healthz`);

    expect(first.status).toBe(403);
    expect(a.headers.get('apigw-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get('apigw-requestid')).not.toBe(a.headers.get('apigw-requestid'));
  });
});
