import { createLogger, type Logger } from '../../services/platform/logger.ts';

export function testLogger(): Logger {
  return createLogger({ level: 'silent' });
}
