import * as z from 'zod';
import { ConfigError } from '../shared/domain/errors';

/** A list given as `-c key=a,b` on the command line, or as a JSON array in cdk.json. */
const list = (item: z.ZodString) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : value,
    z.array(item).min(1),
  );

/**
 * CDK context (`cdk.json` or `-c key=value`): everything a deployment chooses. Optional parts are off when absent, so
 * `npx cdk synth` with no context at all gives a working stack outside any VPC.
 */
export const stackSettingsSchema = z
  .object({
    stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'stackName: letters, digits and hyphens'),
    configFile: z.string().min(1),
    /** Existing VPC for the functions that read Prometheus or the Kubernetes API (private endpoints). */
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]{8,17}$/, 'vpcId looks like vpc-0123abcd')
      .optional(),
    /** Private subnets with a route to the Slack API (NAT) and to AWS APIs (NAT or VPC endpoints). */
    subnetIds: list(
      z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'each of subnetIds looks like subnet-0123abcd'),
    ).optional(),
    /** Custom domain for the API; its ACM certificate must be in the stack's region. */
    domainName: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'domainName is a host name such as bot.example.com')
      .optional(),
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:/, 'certificateArn is an ACM certificate ARN')
      .optional(),
    /** Subscribed to the alarm topic when given. */
    alarmEmail: z.email({ error: 'alarmEmail is an e-mail address' }).optional(),
    /** `create`: the stack creates an EKS access entry per configured cluster; `print`: only outputs the command. */
    eksAccess: z.enum(['create', 'print'], { error: 'eksAccess is create or print' }).default('create'),
    /** Audit export retention (S3 Object Lock, compliance mode), days. */
    auditRetentionDays: z.coerce.number().int().min(1).max(36500).default(400),
  })
  .superRefine((s, ctx) => {
    if (Boolean(s.vpcId) !== Boolean(s.subnetIds)) {
      ctx.addIssue({ code: 'custom', message: 'vpcId and subnetIds go together: give both or neither' });
    }
    if (Boolean(s.domainName) !== Boolean(s.certificateArn)) {
      ctx.addIssue({ code: 'custom', message: 'domainName and certificateArn go together: give both or neither' });
    }
  });

export type StackSettings = z.infer<typeof stackSettingsSchema>;

const KEYS = Object.keys(stackSettingsSchema.shape) as (keyof StackSettings)[];

/** Reads the stack's settings from CDK context, failing synth with one sentence per problem. */
export function readStackSettings(context: (key: string) => unknown): StackSettings {
  const raw = Object.fromEntries(KEYS.map((key) => [key, context(key)]).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = stackSettingsSchema.safeParse({
    stackName: 'ReleaseBot',
    configFile: 'config/release-bot.yaml',
    ...raw,
  });
  if (!parsed.success) {
    throw new ConfigError(
      'CDK context',
      parsed.error.issues.map((i) => i.message),
    );
  }
  return parsed.data;
}
