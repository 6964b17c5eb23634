import { type CheckStatus, type DoctorReport, verdict } from '../domain/doctor';
import type { ChatMessage } from '../ports/chat';
import { clipMrkdwn, code, escapeMrkdwn } from './mrkdwn';

const ICON: Record<CheckStatus, string> = { pass: ':white_check_mark:', warn: ':warning:', fail: ':x:' };

/** The report as one message: fails first, then warnings, then passes; every text from the cluster escaped. */
export function doctorMessage(report: DoctorReport): ChatMessage {
  const order: CheckStatus[] = ['fail', 'warn', 'pass'];
  const checks = [...report.checks].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  const count = (status: CheckStatus) => report.checks.filter((c) => c.status === status).length;
  const summary = `${count('fail')} to fix, ${count('warn')} to look at, ${count('pass')} fine`;
  const lines = checks.map((check) => {
    const fix = check.fix ? ` → ${escapeMrkdwn(check.fix)}` : '';
    return `${ICON[check.status]} *${escapeMrkdwn(check.subject)}*: ${escapeMrkdwn(check.found)}${fix}`;
  });
  const heading = `${ICON[verdict(report.checks)]} *Doctor for ${code(report.service)}*${report.cluster ? ` (cluster ${code(report.cluster)})` : ''}: ${summary}`;
  const text = clipMrkdwn([heading, ...lines].join('\n'));
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
