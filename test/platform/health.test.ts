import { describe, expect, it } from 'vitest';
import { createHealthBoard } from '../../services/platform/health.ts';

describe('the health board', () => {
  it('counts failures in a row since the first, and forgets them on the first success', () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const board = createHealthBoard(() => new Date(now));
    board.report('outbox', { ok: true });
    board.report('cleansing', { ok: false, error: 'disk full' });
    now += 5000;
    board.report('cleansing', { ok: false, error: 'disk still full' });
    expect(board.snapshot()).toEqual({
      outbox: { ok: true, since: '2026-12-01T10:00:00.000Z', failures: 0 },
      cleansing: { ok: false, since: '2026-12-01T10:00:00.000Z', failures: 2, error: 'disk still full' },
    });
    now += 5000;
    board.report('cleansing', { ok: true });
    expect(board.snapshot().cleansing).toEqual({ ok: true, since: '2026-12-01T10:00:10.000Z', failures: 0 });
  });
});
