import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { DeliveryStream, S3Bucket, StreamEncryption } from 'aws-cdk-lib/aws-kinesisfirehose';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Sort-key prefixes of audit items: `AUDIT#` (decisions) and `ATTEMPT#` (refused attempts, when another change adds
 * them). Only new images of these items leave the table.
 */
export const AUDIT_PREFIXES = ['AUDIT#', 'ATTEMPT#'] as const;

/**
 * The audit trail, also outside the table and out of the bot's reach: the table's stream -> an EventBridge pipe that
 * keeps only audit items -> Firehose -> an S3 bucket with Object Lock in compliance mode, where nobody (root
 * included) can change or delete an object before its retention ends. An auditor reads it with S3 (or Athena), not
 * with the bot; the bot's roles have no access to the bucket at all.
 */
export class AuditExport extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { table: ITable; retentionDays: number }) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('The audit export needs the table stream (stream: NEW_IMAGE).');

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the audit bucket; logging it to itself would loop.',
    });
    this.bucket = new Bucket(this, 'Trail', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      serverAccessLogsBucket: accessLogs,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const delivery = new DeliveryStream(this, 'Delivery', {
      destination: new S3Bucket(this.bucket, {
        dataOutputPrefix: 'audit/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/',
        bufferingInterval: Duration.minutes(1),
      }),
      encryption: StreamEncryption.awsOwnedKey(),
    });

    for (const finding of [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      'Resource::<AuditTrail90B6CA04.Arn>/*',
    ]) {
      Validations.of(delivery).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          "CDK's Firehose S3 destination role, on this bucket only; Object Lock (compliance) keeps every delivered version from deletion whatever the role may ask.",
      });
    }
    const role = new Role(this, 'PipeRole', { assumedBy: new ServicePrincipal('pipes.amazonaws.com') });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [streamArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [delivery.deliveryStreamArn],
      }),
    );
    new CfnPipe(this, 'Pipe', {
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: { startingPosition: 'TRIM_HORIZON', batchSize: 10, maximumRetryAttempts: 185 },
        filterCriteria: {
          filters: [
            {
              pattern: JSON.stringify({
                eventName: ['INSERT', 'MODIFY'],
                dynamodb: { Keys: { sk: { S: AUDIT_PREFIXES.map((prefix) => ({ prefix })) } } },
              }),
            },
          ],
        },
      },
      target: delivery.deliveryStreamArn,
      description: 'release-bot audit items -> Object Lock bucket',
    });
  }
}
