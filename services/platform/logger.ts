import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Tests pass a stream to read what was logged; the hub logs JSON to stdout. */
  destination?: DestinationStream;
}

const redact = ['req.headers.authorization', '*.password', '*.token', 'password', 'token'];

export function createLogger({ level, destination }: LoggerOptions): Logger {
  return pino({ level, base: { service: 'gov-data-hub' }, redact, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
