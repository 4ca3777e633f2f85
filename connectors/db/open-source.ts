import type { Logger } from '../../services/platform/logger.ts';
import type { ConnectorConfig } from './config.ts';
import { openMariadbSource } from './mariadb-source.ts';
import { openPostgresSource } from './postgres-source.ts';
import type { SourceReader } from './source-reader.ts';

/** The reader for the config's database kind. */
export function openSourceReader(options: { config: ConnectorConfig; tieFields: readonly string[]; log: Logger }): Promise<SourceReader> {
  return options.config.source.kind === 'postgres' ? openPostgresSource(options) : openMariadbSource(options);
}
