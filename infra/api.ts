import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, DomainName, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployedRoute } from '../shared/http/routes';

/** HTTP API fields for the access log (HTTP APIs have no `$context.identity.caller`, so not the REST API's preset). */
const ACCESS_LOG = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    time: '$context.requestTime',
    route: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    length: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
    userAgent: '$context.identity.userAgent',
  }),
);

/** A route of `shared/http/routes.ts` (the table the local server answers too), with the function built for it. */
export type RouteProps = DeployedRoute & { fn: IFunction };

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * The public edge: the deployed routes of `shared/http/routes.ts`, throttled per route, with access logs. The routes
 * carry no API Gateway authorizer on purpose: Flagger cannot send headers (its token is in the payload) and Slack
 * signs the body, so both are checked in the function, before anything is read or written.
 */
export class BotApi extends Construct {
  readonly api: HttpApi;
  readonly url: string;
  /** The custom domain's API Gateway target, for the DNS record. */
  readonly domainTarget?: string;

  constructor(
    scope: Construct,
    id: string,
    props: { routes: RouteProps[]; domain?: { name: string; certificateArn: string } },
  ) {
    super(scope, id);
    const domain = props.domain
      ? new DomainName(this, 'Domain', {
          domainName: props.domain.name,
          certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
        })
      : undefined;
    this.api = new HttpApi(this, 'Http', {
      description: 'release-bot: Flagger webhooks and Slack requests',
      ...(domain ? { defaultDomainMapping: { domainName: domain } } : {}),
    });
    for (const route of props.routes) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${pascal(route.handler)}Integration`, route.fn),
      });
    }

    const logs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage;
    stage.accessLogSettings = {
      destinationArn: logs.logGroupArn,
      format: ACCESS_LOG.toString(),
    };
    // Per-route limits: a Slack burst cannot starve Flagger's gates, and neither can exhaust Lambda concurrency.
    stage.defaultRouteSettings = { throttlingRateLimit: 10, throttlingBurstLimit: 20 };
    stage.routeSettings = Object.fromEntries(
      props.routes.map((r) => [
        `${r.method} ${r.path}`,
        // CfnStage's routeSettings is raw JSON: CloudFormation's own (PascalCase) names.
        { ThrottlingRateLimit: r.throttle.rate, ThrottlingBurstLimit: r.throttle.burst },
      ]),
    );

    this.url = domain ? `https://${props.domain?.name}` : this.api.apiEndpoint;
    if (domain) this.domainTarget = domain.regionalDomainName;
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'Flagger sends its token in the payload and Slack signs the body; both are verified in the function.',
    });
  }
}
