import type { Pool, PoolClient } from './db/pool.ts';
import type { Logger } from './logger.ts';
import { errorMessage } from './errors.ts';

/** What a service needs to know of an election: whether this instance leads now. */
export interface LeaderView {
  readonly leading: boolean;
}

export interface LeadershipOptions {
  pool: Pool;
  /** What is led, unique per hub (e.g. the database schema and the work's name). */
  name: string;
  log: Logger;
  /** How often a follower asks for the lock again, and a leader proves it still holds it (ms). */
  checkMs: number;
  /** Starts the work; called once per term. */
  onElected: () => Promise<void>;
  /** Stops the work; called when the term ends (stop(), or the lock's connection was lost). */
  onDeposed: () => Promise<void>;
  /** A Postgres channel the leader LISTENs on while it leads, with what to do for each payload. */
  listen?: { channel: string; onNotify: (payload: string) => void };
}

/** Namespace of the hub's session advisory locks (the second key is hashtext of the name). */
const lockSpace = 727_006;

/**
 * One leader among every hub instance on the same database for a piece of work that must run
 * once (the share streamer). The leader holds a session advisory lock on a connection of its own:
 * an instance that dies (even by SIGKILL) closes that connection, Postgres releases the lock, and
 * the next follower to ask takes over within `checkMs`.
 */
export class Leadership implements LeaderView {
  readonly #o: LeadershipOptions;
  readonly #log: Logger;
  #client: PoolClient | null = null;
  #timer: NodeJS.Timeout | null = null;
  #turn: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: LeadershipOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'leadership', work: options.name });
  }

  get leading(): boolean {
    return this.#client !== null;
  }

  /** Asks for the lock at once (so a lone instance leads before this resolves), then every checkMs. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#step();
    this.#timer = setInterval(() => void this.#step(), this.#o.checkMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#serial(() => this.#resign());
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    this.#turn = this.#turn.then(fn).catch((err: unknown) => this.#log.warn({ err }, 'leadership step failed'));
    return this.#turn;
  }

  #step(): Promise<void> {
    return this.#serial(async () => {
      if (this.#stopped) return;
      if (this.#client) {
        try {
          await this.#client.query('SELECT 1');
        } catch (err) {
          await this.#lost(err);
        }
        return;
      }
      let client: PoolClient;
      try {
        client = await this.#o.pool.connect();
      } catch (err) {
        this.#log.debug({ err }, 'database not reachable; asking again later');
        return;
      }
      let won = false;
      try {
        const { rows } = await client.query<{ won: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS won', [lockSpace, this.#o.name]);
        won = rows[0]?.won === true;
      } catch (err) {
        client.release(err instanceof Error ? err : true);
        this.#log.debug({ err }, 'could not ask for the lock; asking again later');
        return;
      }
      if (!won) {
        client.release();
        return;
      }
      client.on('error', (err) => void this.#serial(() => this.#lost(err)));
      this.#client = client;
      if (this.#o.listen) {
        client.on('notification', (n) => {
          if (n.channel === this.#o.listen?.channel && n.payload !== undefined) this.#o.listen.onNotify(n.payload);
        });
        await client.query(`LISTEN ${this.#o.listen.channel}`);
      }
      this.#log.info('elected: this instance does the work now');
      try {
        await this.#o.onElected();
      } catch (err) {
        this.#log.warn({ err }, 'starting the work failed; resigning so that another instance (or this one) tries again');
        await this.#resign();
      }
    });
  }

  async #lost(err: unknown): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    this.#log.warn({ error: errorMessage(err) }, 'lost the lock connection; stopping the work');
    client.release(true);
    await this.#o.onDeposed().catch((e: unknown) => this.#log.warn({ err: e }, 'stopping the work failed'));
  }

  async #resign(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    await this.#o.onDeposed().catch((err: unknown) => this.#log.warn({ err }, 'stopping the work failed'));
    this.#client = null;
    try {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [lockSpace, this.#o.name]);
      if (this.#o.listen) await client.query(`UNLISTEN ${this.#o.listen.channel}`);
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
    }
  }
}

/** Wakes the leader of `channel` (NOTIFY): it does the work the payload names. */
export async function notifyLeader(pool: Pool, channel: string, payload: string): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
}
