import { randomUUID } from 'node:crypto';
import type { Pool } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';

export type FeedbackKind = 'problem' | 'request';

export interface Feedback {
  id: string;
  dataset: string;
  kind: FeedbackKind;
  message: string;
  /** Shown to the provider only. */
  contact: string | null;
  createdAt: string;
  answer: string | null;
  answeredBy: string | null;
  answeredAt: string | null;
}

interface Row {
  id: string;
  dataset: string;
  kind: FeedbackKind;
  message: string;
  contact: string | null;
  created_at: Date;
  answer: string | null;
  answered_by: string | null;
  answered_at: Date | null;
}

const toFeedback = (r: Row): Feedback => ({
  id: r.id,
  dataset: r.dataset,
  kind: r.kind,
  message: r.message,
  contact: r.contact,
  createdAt: r.created_at.toISOString(),
  answer: r.answer,
  answeredBy: r.answered_by,
  answeredAt: r.answered_at?.toISOString() ?? null,
});

/** open_feedback: the public's reports and requests on open datasets, and the providers' answers. */
export interface FeedbackStore {
  add(input: { dataset: string; kind: FeedbackKind; message: string; contact: string | null }): Promise<Feedback>;
  list(filter: { datasets: readonly string[]; answered?: boolean; limit: number }): Promise<Feedback[]>;
  get(id: string): Promise<Feedback | null>;
  answer(id: string, answer: string, by: string): Promise<Feedback>;
}

export function createFeedbackStore({ pool }: { pool: Pool }): FeedbackStore {
  return {
    async add({ dataset, kind, message, contact }) {
      const { rows } = await pool.query<Row>('INSERT INTO open_feedback (id, dataset, kind, message, contact) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
        randomUUID(),
        dataset,
        kind,
        message,
        contact,
      ]);
      return toFeedback(rows[0]!);
    },
    async list({ datasets, answered, limit }) {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM open_feedback WHERE dataset = ANY($1) AND ($2::boolean IS NULL OR (answer IS NOT NULL) = $2)
         ORDER BY created_at DESC LIMIT $3`,
        [datasets, answered ?? null, limit],
      );
      return rows.map(toFeedback);
    },
    async get(id) {
      const { rows } = await pool.query<Row>('SELECT * FROM open_feedback WHERE id = $1', [id]);
      return rows[0] ? toFeedback(rows[0]) : null;
    },
    async answer(id, answer, by) {
      const { rows } = await pool.query<Row>('UPDATE open_feedback SET answer = $2, answered_by = $3, answered_at = now() WHERE id = $1 RETURNING *', [
        id,
        answer,
        by,
      ]);
      if (!rows[0]) throw new HubError('HUB_ERR_NOT_FOUND', `no feedback ${id}`);
      return toFeedback(rows[0]);
    },
  };
}
