import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LeaderView, notifyLeader } from '../platform/leader.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import type { Kafka } from '../platform/kafka/client.ts';
import type { AclBinding, HubAdmin } from '../platform/kafka/admin.ts';
import type { HubProducer } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import type { CatalogService } from '../catalog/service.ts';
import { HubError } from '../platform/errors.ts';
import { landingTableOf } from '../cleansing/landing/tables.ts';
import type { MaskKind } from './masking.ts';
import { projectionOf, type KeyMode } from './share-schema.ts';
import { shareGroupPrefix, shareTopic, topicSpecs, valueSubject } from '../contract/names.ts';
import { readCurrentState } from '../cleansing/landing/reader.ts';
import { ShareStreamer, shareRecord, type ShareTarget } from './share-streamer.ts';
import { createGrantStore, type EndReason, type GrantRow, type GrantStatus } from './grant-store.ts';

export const grantIdPattern = /^[a-z0-9-]{1,40}$/;

export interface GrantSpec {
  id: string;
  /** The principal's name, which is its Kafka user. */
  consumer: string;
  datasets: { dataset: string; fields: string[] }[];
  expiresAt: Date;
  purpose: string;
}

export interface ActivateSpec extends GrantSpec {
  /** Sensitive fields shared in clear: a field name, or `<dataset>.<field>` for one dataset only. */
  unmasked?: string[];
  /** Masking kind per field (name or `<dataset>.<field>`), instead of the default for its type. */
  masking?: Record<string, MaskKind>;
}

export interface SharedDataset {
  dataset: string;
  fields: string[];
  topic: string;
  subject: string;
  keyMode: KeyMode;
  /** The granted fields that leave masked, with how. */
  masked: Record<string, MaskKind>;
}

export interface ActiveGrant {
  id: string;
  consumer: string;
  purpose: string;
  status: GrantStatus;
  datasets: SharedDataset[];
  /** The consumer's group id must start with this. */
  groupPrefix: string;
  unmasked: string[];
  masking: Record<string, string>;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  endedReason: EndReason | null;
}

export interface GrantService {
  /**
   * Creates `share.<grant>.<dataset>` per dataset with its projected, masked schema, backfills it
   * from the landing table, streams it from clean.<dataset>, and only then grants the consumer
   * READ + DESCRIBE on those topics and READ on groups prefixed `share.<grant>.`. Idempotent.
   */
  activate(spec: ActivateSpec): Promise<ActiveGrant>;
  /** ACLs first (the consumer is refused on its next fetch), then streaming, the record, the topics. */
  revoke(grantId: string, reason: EndReason): Promise<void>;
  /** Active grants, or those of one consumer (only theirs are built). */
  list(consumer?: string): Promise<ActiveGrant[]>;
  get(grantId: string): Promise<ActiveGrant | null>;
  /** Ends every live grant past its expiry; returns their ids. Call it on a timer. */
  expireDue(now?: Date): Promise<string[]>;
  /**
   * From now on only the instance `leader` elects streams share topics and completes activations;
   * the others hand theirs over (NOTIFY on `channel`) and wait. Without it, this instance does all.
   */
  coordinate(leader: LeaderView): void;
  /** The Postgres channel an activation or a revocation elsewhere wakes the leader on. */
  readonly channel: string;
  /** The leader's round: follow the grants, complete pending activations, delete ended grants' topics. */
  catchUp(): Promise<void>;
  /** Follows the catalog and the grants, where share topics are streamed (elsewhere nothing). */
  refresh(): Promise<void>;
  /** Starts streaming the active grants (after a restart, from the stored state). */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly streamer: ShareStreamer;
}

export interface GrantServiceOptions {
  pool: Pool;
  kafka: Kafka;
  admin: HubAdmin;
  registry: RegistryClient;
  producer: HubProducer;
  log: Logger;
  /** The landing schema prefix (config.cleansing.schemaPrefix). */
  schemaPrefix: string;
  catalog: CatalogService;
  streamerGroupId?: string;
  /** This hub's database schema, the origin of its outbox rows (see ShareStreamer). */
  outboxOrigin?: string;
  /** How long an instance that does not stream waits for the leader to activate a grant (ms). */
  handoverTimeoutMs?: number;
}

/** Activations and revocations on another instance wake the streaming instance here. */
const grantChannel = 'hub_grants';

/** Exactly what a grant gives its consumer, so that revoke deletes exactly that. */
export function grantAcls(grantId: string, consumer: string, datasets: readonly string[]): AclBinding[] {
  return [
    ...datasets.flatMap((d) =>
      (['read', 'describe'] as const).map((operation) => ({
        principal: consumer,
        resource: 'topic' as const,
        name: shareTopic(grantId, d),
        pattern: 'literal' as const,
        operation,
      })),
    ),
    { principal: consumer, resource: 'group', name: shareGroupPrefix(grantId), pattern: 'prefixed', operation: 'read' },
  ];
}

const invalid = (message: string) => new HubError('HUB_ERR_UNPROCESSABLE', message);

function checkSpec(spec: ActivateSpec): void {
  if (!grantIdPattern.test(spec.id)) throw invalid(`grant id "${spec.id}" must match ${grantIdPattern.source}`);
  if (!spec.consumer) throw invalid('a grant names its consumer');
  if (!spec.purpose?.trim()) throw invalid('a grant states its purpose');
  if (!(spec.expiresAt instanceof Date) || Number.isNaN(spec.expiresAt.getTime()) || spec.expiresAt.getTime() <= Date.now())
    throw invalid('a grant expires in the future');
  if (spec.datasets.length === 0) throw invalid('a grant shares at least one dataset');
  if (new Set(spec.datasets.map((d) => d.dataset)).size !== spec.datasets.length) throw invalid('a grant names each dataset once');
}

const sortedEntries = (o: Readonly<Record<string, string>>) => JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

// jsonb does not keep key order, so the terms are compared field by field.
const sameTerms = (row: GrantRow, spec: ActivateSpec) =>
  row.consumer === spec.consumer &&
  row.datasets.map((d) => `${d.dataset}:${d.fields.join(',')}`).join(';') === spec.datasets.map((d) => `${d.dataset}:${d.fields.join(',')}`).join(';') &&
  JSON.stringify([...row.unmasked].sort()) === JSON.stringify([...(spec.unmasked ?? [])].sort()) &&
  sortedEntries(row.masking) === sortedEntries(spec.masking ?? {});

export function createGrantService(options: GrantServiceOptions): GrantService {
  const { pool, admin, registry, producer, catalog, schemaPrefix, handoverTimeoutMs = 60_000 } = options;
  const log = options.log.child({ module: 'grants' });
  const store = createGrantStore({ pool });
  const targetsByGrant = new Map<string, { targets: ShareTarget[]; schemas: Map<string, DatasetSchema> }>();

  /** The dataset's contract: its grades decide the masking, whoever provides the records. */
  const schemaOf = (dataset: string): Promise<DatasetSchema> => catalog.contractOf(dataset);

  async function targetsOf(row: GrantRow): Promise<{ targets: ShareTarget[]; schemas: Map<string, DatasetSchema> }> {
    const hit = targetsByGrant.get(row.id);
    if (hit) return hit;
    const schemas = new Map<string, DatasetSchema>();
    const targets: ShareTarget[] = [];
    for (const d of row.datasets) {
      const schema = await schemaOf(d.dataset);
      schemas.set(d.dataset, schema);
      const projection = projectionOf({ grantId: row.id, dataset: schema, fields: d.fields, unmasked: row.unmasked, masking: row.masking, salt: row.salt });
      const schemaId = await registry.register(valueSubject(projection.topic), projection.schema);
      targets.push({ grantId: row.id, projection, schemaId });
    }
    const built = { targets, schemas };
    targetsByGrant.set(row.id, built);
    return built;
  }

  function view(row: GrantRow, targets?: readonly ShareTarget[]): ActiveGrant {
    return {
      id: row.id,
      consumer: row.consumer,
      purpose: row.purpose,
      status: row.status,
      datasets: row.datasets.map((d) => {
        const p = targets?.find((t) => t.projection.dataset === d.dataset)?.projection;
        const topic = shareTopic(row.id, d.dataset);
        return {
          dataset: d.dataset,
          fields: d.fields,
          topic,
          subject: valueSubject(topic),
          keyMode: p?.keyMode ?? 'hashed',
          masked: Object.fromEntries((p?.fields ?? []).flatMap((f) => (f.mask ? [[f.name, f.mask]] : []))),
        };
      }),
      groupPrefix: shareGroupPrefix(row.id),
      unmasked: row.unmasked,
      masking: row.masking,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      endedAt: row.endedAt,
      endedReason: row.endedReason,
    };
  }

  // Grants whose activation runs in this process: streamed (into the hold buffer) while still pending.
  const completing = new Map<string, Promise<ShareTarget[]>>();
  let leader: LeaderView | null = null;
  const leadsHere = () => leader === null || leader.leading;

  const streamer = new ShareStreamer({
    kafka: options.kafka,
    admin,
    producer,
    registry,
    log: options.log,
    groupId: options.streamerGroupId,
    ...(options.outboxOrigin ? { outboxOrigin: options.outboxOrigin } : {}),
    datasets: async () => [...new Set((await catalog.active()).map((e) => e.dataset))],
    async load() {
      const out: ShareTarget[] = [];
      for (const row of await store.byStatus(['pending', 'active'])) {
        // A pending grant another process (or a dead leader) started is not streamed before its backfill.
        if (row.status === 'pending' && !completing.has(row.id)) continue;
        try {
          out.push(...(await targetsOf(row)).targets);
        } catch (err) {
          log.error({ grant: row.id, err }, 'cannot stream grant');
        }
      }
      return out;
    },
  });

  async function backfill(target: ShareTarget, schema: DatasetSchema): Promise<number> {
    let n = 0;
    for await (const page of readCurrentState(pool, landingTableOf(schema, schemaPrefix))) {
      const records = await Promise.all(page.map((r) => shareRecord(registry, target, r.key, r.values)));
      await producer.send(target.projection.topic, records);
      n += records.length;
    }
    return n;
  }

  /**
   * The streaming half of an activation, run where the streamer runs: topics, the backfill under a
   * hold, then the consumer's ACLs and the active state. Once per grant at a time.
   */
  function complete(row: GrantRow, { refill = row.status === 'pending' } = {}): Promise<ShareTarget[]> {
    const running = completing.get(row.id);
    if (running) return running;
    const run = (async () => {
      const { targets, schemas } = await targetsOf(row);
      if (refill) {
        streamer.hold(row.id);
        try {
          await admin.ensureTopics(targets.map((t) => topicSpecs.share(row.id, t.projection.dataset)));
          await streamer.refresh();
          for (const t of targets) {
            const n = await backfill(t, schemas.get(t.projection.dataset)!);
            log.info({ grant: row.id, topic: t.projection.topic, records: n }, 'share topic backfilled');
          }
          await streamer.release(row.id);
        } catch (err) {
          streamer.forget(row.id);
          throw err;
        }
      } else {
        await admin.ensureTopics(targets.map((t) => topicSpecs.share(row.id, t.projection.dataset)));
        await streamer.refresh();
      }
      await admin.grant(
        grantAcls(
          row.id,
          row.consumer,
          row.datasets.map((d) => d.dataset),
        ),
      );
      await store.setActive(row.id);
      log.info({ grant: row.id, consumer: row.consumer, topics: targets.map((t) => t.projection.topic) }, 'grant active');
      return targets;
    })().finally(() => completing.delete(row.id));
    completing.set(row.id, run);
    return run;
  }

  /** Another instance streams: it completes the activation; this one waits for the grant to turn active. */
  async function handOver(row: GrantRow): Promise<GrantRow> {
    await notifyLeader(pool, grantChannel, row.id);
    const deadline = Date.now() + handoverTimeoutMs;
    for (let wait = 50; Date.now() < deadline; wait = Math.min(wait * 2, 500)) {
      await sleep(wait);
      const now = await store.get(row.id);
      if (now?.status === 'active') return now;
      if (now && now.status !== 'pending') throw new HubError('HUB_ERR_CONFLICT', `grant "${row.id}" ended (${now.status}) while it was being activated`);
    }
    throw new HubError('HUB_ERR_NOT_READY', `grant "${row.id}" is being activated by the instance that streams share topics; ask again shortly`);
  }

  async function deleteShareTopics(row: GrantRow): Promise<void> {
    const topics = new Set(row.datasets.map((d) => shareTopic(row.id, d.dataset)));
    const existing = (await admin.listTopics()).filter((t) => topics.has(t));
    if (existing.length > 0) {
      await admin
        .deleteTopics(existing)
        .catch((err: unknown) => log.warn({ grant: row.id, topics: existing, err }, 'share topics not deleted; access is revoked regardless'));
    }
    await producer.forget([...topics]).catch((err: unknown) => log.warn({ grant: row.id, err }, 'sharing producer not renewed; the next send renews it'));
  }

  async function revoke(grantId: string, reason: EndReason): Promise<void> {
    const row = await store.get(grantId);
    if (!row) throw new HubError('HUB_ERR_NOT_FOUND', `no grant "${grantId}"`);
    const datasets = row.datasets.map((d) => d.dataset);
    await admin.revoke(grantAcls(row.id, row.consumer, datasets));
    const ended = await store.end(row.id, reason);
    targetsByGrant.delete(row.id);
    if (leadsHere()) {
      streamer.forget(row.id);
      await streamer.refresh();
      // A batch handed the old targets may still be sending to these topics: let it finish first.
      await streamer.drain();
      await deleteShareTopics(row);
    } else {
      // The streaming instance stops feeding the topics and deletes them; access already ended above.
      await notifyLeader(pool, grantChannel, row.id);
    }
    if (ended) log.info({ grant: row.id, consumer: row.consumer, reason }, 'grant ended');
  }

  /** The leader's round: follow the grants, delete what ended grants left, complete pending activations. */
  let catchingUp: Promise<void> | null = null;
  let again = false;
  async function catchUpOnce(): Promise<void> {
    await streamer.refresh();
    const topics = new Set(await admin.listTopics());
    const ended = await store.byStatus(['expired', 'revoked', 'suspended']);
    const left = ended.filter((r) => r.datasets.some((d) => topics.has(shareTopic(r.id, d.dataset))));
    if (left.length > 0) await streamer.drain();
    for (const r of left) await deleteShareTopics(r);
    // An active grant without its topics (a hub restored onto a new cluster): topics, backfill, ACLs again.
    for (const row of await store.byStatus(['active'])) {
      if (!leadsHere()) return;
      if (row.datasets.every((d) => topics.has(shareTopic(row.id, d.dataset)))) continue;
      await complete(row, { refill: true }).then(
        () => log.info({ grant: row.id }, 'grant reinstated: its share topics were missing'),
        (err: unknown) => log.warn({ grant: row.id, err }, 'grant not reinstated; trying again on the next round'),
      );
    }
    for (const row of await store.byStatus(['pending'])) {
      if (!leadsHere()) return;
      await complete(row).catch((err: unknown) => log.warn({ grant: row.id, err }, 'activation not completed; trying again on the next round'));
    }
  }

  return {
    streamer,
    start: () => streamer.start(),
    stop: () => streamer.stop(),
    coordinate(view) {
      leader = view;
    },
    channel: grantChannel,
    refresh: () => (leadsHere() ? streamer.refresh() : Promise.resolve()),
    catchUp() {
      if (!leadsHere()) return Promise.resolve();
      if (catchingUp) {
        again = true;
        return catchingUp;
      }
      catchingUp = (async () => {
        try {
          do {
            again = false;
            await catchUpOnce();
          } while (again && leadsHere());
        } finally {
          catchingUp = null;
        }
      })();
      return catchingUp;
    },
    async activate(spec) {
      checkSpec(spec);
      if (!(await admin.userExists(spec.consumer))) throw new HubError('HUB_ERR_NOT_FOUND', `consumer "${spec.consumer}" has no Kafka user`);
      const datasets = spec.datasets.map((d) => ({ dataset: d.dataset, fields: [...d.fields] }));
      const row = await store.insertPending({
        id: spec.id,
        consumer: spec.consumer,
        purpose: spec.purpose,
        datasets,
        unmasked: spec.unmasked ?? [],
        masking: spec.masking ?? {},
        expiresAt: spec.expiresAt,
        salt: randomBytes(32).toString('hex'),
      });
      if (row.status !== 'pending' && row.status !== 'active')
        throw new HubError('HUB_ERR_CONFLICT', `grant "${row.id}" ended (${row.status}); a grant id is never reused`);
      if (!sameTerms(row, { ...spec, datasets })) throw new HubError('HUB_ERR_CONFLICT', `grant "${row.id}" exists with other terms; revoke it and grant anew`);
      try {
        await targetsOf(row);
      } catch (err) {
        // Invalid terms: nothing was created in Kafka, so the pending row goes too.
        if (row.status === 'pending') await pool.query(`DELETE FROM grants WHERE id = $1 AND status = 'pending'`, [row.id]);
        throw err;
      }
      if (leadsHere()) return view({ ...row, status: 'active' }, await complete(row));
      const active = row.status === 'active' ? row : await handOver(row);
      return view(active, (await targetsOf(active)).targets);
    },
    revoke,
    async list(consumer) {
      const rows = (await store.byStatus(['active'])).filter((r) => consumer === undefined || r.consumer === consumer);
      return Promise.all(rows.map(async (r) => view(r, (await targetsOf(r).catch(() => null))?.targets)));
    },
    async get(grantId) {
      const row = await store.get(grantId);
      if (!row) return null;
      const live = row.status === 'active' || row.status === 'pending';
      return view(row, live ? (await targetsOf(row).catch(() => null))?.targets : undefined);
    },
    async expireDue(now = new Date()) {
      const due = await store.dueToExpire(now);
      for (const g of due) await revoke(g.id, 'expired');
      return due.map((g) => g.id);
    },
  };
}
