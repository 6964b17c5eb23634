import { logger } from '../../shared/observability/logger';

/** One JSON log line as Powertools Logger writes it. */
export type LogLine = Record<string, unknown> & { level: string; message: string };

/**
 * Captures what the Logger writes (JSON lines on stdout and stderr), without printing it: Powertools writes to the
 * process streams through its own Console, so spying on `console` would see nothing.
 */
export function captureLogs(): { lines: () => LogLine[]; restore: () => void } {
  // At INFO whatever the environment says (a quiet test run may set POWERTOOLS_LOG_LEVEL=SILENT): request logs
  // are children made from the root logger, with its level at the time.
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    }),
  );
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => typeof line.level === 'string'),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
      logger.setLogLevel(level);
    },
  };
}
