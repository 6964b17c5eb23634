import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReleaseBotStack } from '../../infra/release-bot-stack';
import { readStackSettings } from '../../infra/settings';

export const EXAMPLE_CONFIG = join(__dirname, '../../config/release-bot.yaml');

/** A configuration file with these contents, for one synth. */
export function configFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'release-bot-stack-')), 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * The stack as `cdk synth` builds it, cdk-nag's AWS Solutions pack included: an unacknowledged finding makes this
 * throw. Bundling is skipped: the template is what is asserted; bundles are tested in test/integration.
 */
export function synth(context: Record<string, string> = {}): { template: Template; stack: ReleaseBotStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const settings = readStackSettings((key) => ({ configFile: EXAMPLE_CONFIG, ...context })[key]);
  const stack = new ReleaseBotStack(app, 'Test', { settings });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { template: Template.fromStack(stack), stack };
}

type Resource = { Properties: Record<string, unknown> };

/** The statements of the inline policy of one function's role. */
export function statementsOf(
  template: Template,
  fn: 'Flagger' | 'Slack' | 'Worker' | 'Alertmanager',
): { Action: string | string[]; Resource: unknown }[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
  const entry = Object.entries(policies).find(([id]) => id.startsWith(`${fn}RoleDefaultPolicy`));
  if (!entry) throw new Error(`no policy for ${fn}: ${Object.keys(policies).join(', ')}`);
  return (entry[1].Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
    .Statement;
}

export const actionsOf = (statements: { Action: string | string[] }[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

/** The function resource whose log group / role is under the construct `fn`. */
export function functionOf(template: Template, fn: 'Flagger' | 'Slack' | 'Worker' | 'Alertmanager'): Resource {
  const functions = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
  const entry = Object.entries(functions).find(([id]) => id.startsWith(`${fn}Function`));
  if (!entry) throw new Error(`no function ${fn}: ${Object.keys(functions).join(', ')}`);
  return entry[1];
}
