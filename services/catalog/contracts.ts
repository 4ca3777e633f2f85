import type { Pool, PoolClient } from '../platform/db/pool.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import { HubError } from '../platform/errors.ts';

/**
 * A dataset's contract: the schema every provider of the dataset sends and masking reads its
 * grades from, its owner (the first declarer, who may evolve it with the authority), and the one
 * authoritative provider per field (一数一源), named by the authority.
 */
export interface Contract {
  dataset: string;
  owner: string;
  schemaId: number;
  schema: string;
  version: number;
  /** field → the provider whose value of that field is the source of record. */
  authorities: Record<string, string>;
  updatedBy: string;
  updatedAt: string;
}

interface Row {
  dataset: string;
  owner: string;
  schema_id: number;
  schema: string;
  version: number;
  authorities: Record<string, string>;
  updated_by: string;
  updated_at: Date;
}

const toContract = (r: Row): Contract => ({
  dataset: r.dataset,
  owner: r.owner,
  schemaId: r.schema_id,
  schema: r.schema,
  version: r.version,
  authorities: r.authorities,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at.toISOString(),
});

type Db = Pool | PoolClient;

export interface ContractStore {
  get(dataset: string, db?: Db): Promise<Contract | null>;
  /** Inserts the first contract of a dataset; false when another declaration got there first. */
  insert(db: Db, c: { dataset: string; owner: string; schemaId: number; schema: string; authorities: Record<string, string>; by: string }): Promise<boolean>;
  evolve(db: Db, dataset: string, c: { schemaId: number; schema: string; by: string }): Promise<Contract>;
  setAuthorities(db: Db, dataset: string, authorities: Record<string, string>, by: string): Promise<Contract>;
}

export function createContractStore({ pool }: { pool: Pool }): ContractStore {
  const one = async (db: Db, sql: string, params: unknown[]) => {
    const { rows } = await db.query<Row>(sql, params);
    if (!rows[0]) throw new HubError('HUB_ERR_NOT_FOUND', `no contract for ${String(params[0])}`);
    return toContract(rows[0]);
  };
  return {
    async get(dataset, db = pool) {
      const { rows } = await db.query<Row>('SELECT * FROM dataset_contracts WHERE dataset = $1', [dataset]);
      return rows[0] ? toContract(rows[0]) : null;
    },
    async insert(db, c) {
      const { rowCount } = await db.query(
        `INSERT INTO dataset_contracts (dataset, owner, schema_id, schema, authorities, updated_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dataset) DO NOTHING`,
        [c.dataset, c.owner, c.schemaId, c.schema, JSON.stringify(c.authorities), c.by],
      );
      return rowCount === 1;
    },
    evolve: (db, dataset, c) =>
      one(
        db,
        'UPDATE dataset_contracts SET schema_id = $2, schema = $3, version = version + 1, updated_by = $4, updated_at = now() WHERE dataset = $1 RETURNING *',
        [dataset, c.schemaId, c.schema, c.by],
      ),
    setAuthorities: (db, dataset, authorities, by) =>
      one(db, 'UPDATE dataset_contracts SET authorities = $2, updated_by = $3, updated_at = now() WHERE dataset = $1 RETURNING *', [
        dataset,
        JSON.stringify(authorities),
        by,
      ]),
  };
}

const typeText = (type: unknown) => JSON.stringify(type);

/**
 * How a provider's schema departs from the contract: every difference is one line. A later
 * provider declares against the contract exactly; only the owner or the authority evolves it.
 */
export function contractDifferences(contract: DatasetSchema, candidate: DatasetSchema): string[] {
  const out: string[] = [];
  const theirs = new Map(candidate.json.fields.map((f) => [f.name, f]));
  const ours = new Map(contract.json.fields.map((f) => [f.name, f]));
  for (const f of contract.json.fields) {
    const c = theirs.get(f.name);
    if (!c) {
      out.push(`drops field ${f.name}`);
      continue;
    }
    if (typeText(c.type) !== typeText(f.type)) out.push(`changes the type of ${f.name}`);
    if (c.grade < f.grade) out.push(`lowers the grade of ${f.name} from ${f.grade} to ${c.grade}`);
    else if (c.grade > f.grade) out.push(`raises the grade of ${f.name} from ${f.grade} to ${c.grade} (only the contract's owner or the authority evolves it)`);
    const rules = new Set(c.rules ?? []);
    const loosened = (f.rules ?? []).filter((r) => !rules.has(r));
    if (loosened.length > 0) out.push(`drops the rules ${loosened.join(', ')} of ${f.name}`);
    const added = (c.rules ?? []).filter((r) => !(f.rules ?? []).includes(r));
    if (added.length > 0) out.push(`adds the rules ${added.join(', ')} to ${f.name} (only the contract's owner or the authority evolves it)`);
  }
  for (const f of candidate.json.fields) if (!ours.has(f.name)) out.push(`adds field ${f.name}`);
  if (contract.businessKey.join('|') !== candidate.businessKey.join('|'))
    out.push(`changes the business key from ${contract.businessKey.join('+')} to ${candidate.businessKey.join('+')}`);
  return out;
}

/**
 * What an evolution may not do: drop a field (it could come back with a lower grade) or lower a
 * field's grade; `floor` (the hub's file in schemas/) holds grades no version may go below.
 */
export function evolutionProblems(before: DatasetSchema, after: DatasetSchema, floor?: DatasetSchema): string[] {
  const next = new Map(after.json.fields.map((f) => [f.name, f]));
  const out: string[] = [];
  for (const f of before.json.fields) {
    const n = next.get(f.name);
    if (!n) out.push(`drops field ${f.name}`);
    else if (n.grade < f.grade) out.push(`lowers the grade of ${f.name} from ${f.grade} to ${n.grade}`);
  }
  out.push(...gradeFloorProblems(floor, after).filter((p) => !out.includes(p)));
  if (before.businessKey.join('|') !== after.businessKey.join('|')) out.push('changes the business key');
  return out;
}

/** Fields graded below the hub's own definition of the dataset (schemas/), which no declaration may undercut. */
export function gradeFloorProblems(floor: DatasetSchema | undefined, schema: DatasetSchema): string[] {
  if (!floor) return [];
  const min = new Map(floor.json.fields.map((f) => [f.name, f.grade]));
  return schema.json.fields.flatMap((f) => {
    const g = min.get(f.name);
    return g !== undefined && f.grade < g ? [`lowers the grade of ${f.name} from ${g} to ${f.grade}`] : [];
  });
}
