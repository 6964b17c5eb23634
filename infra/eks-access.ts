import { Aws, CfnCondition, CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { BotConfig } from '../shared/config/load';

/** deploy/rbac.yaml binds this Kubernetes group; the access entry maps the worker's role to it, with no access policy. */
export const KUBERNETES_GROUP = 'release-bot';

export interface EksCluster {
  key: string;
  region: string;
  name: string;
}

export const eksClustersOf = (config: BotConfig): EksCluster[] =>
  Object.entries(config.clusters).flatMap(([key, c]) =>
    'region' in c ? [{ key, region: c.region, name: c.name }] : [],
  );

/**
 * Kubernetes access for the worker, per EKS cluster the configuration names: `eks:DescribeCluster` on exactly those
 * clusters, and an `AWS::EKS::AccessEntry` (type STANDARD, group `release-bot`, no access policy: RBAC is
 * deploy/rbac.yaml). An access entry is regional, so it is created only when the cluster is in the stack's region
 * (a CloudFormation condition, since an environment-agnostic stack learns its region at deploy time); the exact
 * command is an output either way, for clusters elsewhere or for `-c eksAccess=print`.
 */
export class EksAccess extends Construct {
  constructor(scope: Construct, id: string, props: { clusters: EksCluster[]; role: Role; create: boolean }) {
    super(scope, id);
    const stack = Stack.of(this);
    const { clusters, role } = props;
    if (clusters.length === 0) return;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: clusters.map((c) =>
          stack.formatArn({ service: 'eks', region: c.region, resource: 'cluster', resourceName: c.name }),
        ),
      }),
    );
    for (const cluster of clusters) {
      const safe = cluster.key.replace(/[^A-Za-z0-9]/g, '');
      if (props.create) {
        const entry = new CfnAccessEntry(this, `Entry${safe}`, {
          clusterName: cluster.name,
          principalArn: role.roleArn,
          kubernetesGroups: [KUBERNETES_GROUP],
          type: 'STANDARD',
        });
        entry.cfnOptions.condition = new CfnCondition(this, `InRegion${safe}`, {
          expression: Fn.conditionEquals(Aws.REGION, cluster.region),
        });
      }
      new CfnOutput(stack, `EksAccessCommand${safe}`, {
        description: `Kubernetes access for cluster ${cluster.key} (${props.create ? 'created by the stack when in its region; otherwise run this' : 'run this once'}), then apply deploy/rbac.yaml`,
        value: Fn.join('', [
          `aws eks create-access-entry --region ${cluster.region} --cluster-name ${cluster.name} --principal-arn `,
          role.roleArn,
          ` --kubernetes-groups ${KUBERNETES_GROUP} --type STANDARD`,
        ]),
      });
    }
  }
}
