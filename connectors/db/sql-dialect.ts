import { HubError } from '../../services/platform/errors.ts';
/**
 * Identifiers from a connector's config end up in SQL text, so they are held to a plain shape
 * (letters, digits, _ and $) and then quoted; values only ever travel as query parameters.
 */

const identifier = /^[\p{L}_][\p{L}\p{N}_$]{0,62}$/u;

export function isSafeIdentifier(name: string): boolean {
  return identifier.test(name);
}

export interface TableName {
  readonly schema: string | null;
  readonly name: string;
}

/** `table` or `schema.table` (MariaDB: `database.table`). */
export function parseTableName(text: string): TableName | null {
  const parts = text.split('.');
  if (parts.length > 2 || !parts.every(isSafeIdentifier)) return null;
  return parts.length === 2 ? { schema: parts[0] as string, name: parts[1] as string } : { schema: null, name: parts[0] as string };
}

export interface SqlDialect {
  readonly kind: 'postgres' | 'mariadb';
  quote(name: string): string;
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  /** The column's value as the database writes it in text, which reads back to exactly the same value. */
  asText(quoted: string): string;
  /** Whether two identifiers name the same column (MariaDB column names ignore case). */
  sameColumn(a: string, b: string): boolean;
}

function checked(name: string): string {
  if (!isSafeIdentifier(name)) throw new HubError('HUB_ERR_CONFIG', `unsafe SQL identifier ${JSON.stringify(name)}`);
  return name;
}

export const postgresDialect: SqlDialect = {
  kind: 'postgres',
  quote: (name) => `"${checked(name)}"`,
  placeholder: (n) => `$${n}`,
  asText: (quoted) => `${quoted}::text`,
  sameColumn: (a, b) => a === b,
};

export const mariadbDialect: SqlDialect = {
  kind: 'mariadb',
  quote: (name) => `\`${checked(name)}\``,
  placeholder: () => '?',
  asText: (quoted) => `CAST(${quoted} AS CHAR)`,
  sameColumn: (a, b) => a.toLowerCase() === b.toLowerCase(),
};

export function quoteTable(dialect: SqlDialect, table: TableName): string {
  return table.schema === null ? dialect.quote(table.name) : `${dialect.quote(table.schema)}.${dialect.quote(table.name)}`;
}
