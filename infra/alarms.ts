import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERTMANAGER_FAILURES, FLAGGER_FAILURES, METRICS_NAMESPACE } from '../functions/aws/observe';
import type { BotFunction } from './functions';

/**
 * One topic for everything that means "the bot is broken". Flagger never gets a 5xx from the bot, so a broken bot
 * looks exactly like a gate waiting for approval: these alarms are the only way anyone learns otherwise.
 */
export class BotAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, alarmEmail?: string) {
    super(scope, id);
    // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key: a key of our own, rotated.
    const key = new Key(this, 'TopicKey', { enableKeyRotation: true, description: 'release-bot alarm topic' });
    key.addToResourcePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'Topic', { displayName: 'release-bot alarms', masterKey: key, enforceSSL: true });
    if (alarmEmail) this.topic.addSubscription(new EmailSubscription(alarmEmail));
  }

  watchQueues(jobs: IQueue, deadLetters: IQueue, maxAge: Duration): void {
    this.alarm('DeadLetters', deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), 1, {
      description: 'Jobs failed 5 times and wait in the dead-letter queue: read the worker logs, then redrive.',
    });
    this.alarm('OldestJob', jobs.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }), maxAge.toSeconds(), {
      description: `A job has waited over ${maxAge.toHumanString()}: the worker is failing, throttled or stuck.`,
    });
  }

  watchFunction(fn: BotFunction, name: string): void {
    this.alarm(`${name}Errors`, fn.fn.metricErrors({ statistic: 'Sum' }), 1, {
      description: `The ${name} function failed (uncaught error or timeout).`,
    });
    this.alarm(`${name}Throttles`, fn.fn.metricThrottles({ statistic: 'Sum' }), 1, {
      description: `The ${name} function was throttled: requests were refused.`,
    });
  }

  /**
   * Internal failures on the Flagger path: the handler's `hook failed` log line (a metric filter, so it counts today
   * without a code change) plus the EMF metric the entry point emits when it cannot load its secret or config.
   */
  watchFlaggerFailures(logGroup: ILogGroup): void {
    const fromLogs = new MetricFilter(this, 'FlaggerFailureFilter', {
      logGroup,
      filterPattern: FilterPattern.stringValue('$.msg', '=', 'hook failed'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: `${FLAGGER_FAILURES}FromLogs`,
      metricValue: '1',
    }).metric({ statistic: 'Sum' });
    const emitted = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: FLAGGER_FAILURES,
      dimensionsMap: { service: 'release-bot' },
      statistic: 'Sum',
    });
    const both = new MathExpression({
      expression: 'FILL(logs, 0) + FILL(emf, 0)',
      usingMetrics: { logs: fromLogs, emf: emitted },
      label: 'Flagger hooks the bot failed to process',
      period: Duration.minutes(5),
    });
    this.alarm('FlaggerFailures', both, 1, {
      description: 'The bot failed to process Flagger hooks and refused them: gates stay closed for a bot fault.',
    });
  }

  /**
   * Alertmanager notifications the bot failed to process (answered 500 and retried by Alertmanager): an alert that
   * should roll a release back may be waiting on the bot. The entry point emits the EMF metric for each one.
   */
  watchAlertmanagerFailures(): void {
    const emitted = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: ALERTMANAGER_FAILURES,
      dimensionsMap: { service: 'release-bot' },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    this.alarm('AlertmanagerFailures', emitted, 1, {
      description: 'The bot failed to process Alertmanager notifications (answered 500; Alertmanager retries them).',
    });
  }

  alarm(id: string, metric: IMetric, threshold: number, { description }: { description: string }): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    return alarm;
  }
}
