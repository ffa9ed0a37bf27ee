/**
 * Counters shown to operators: `states` are exact per-state counts (they add up to `total`);
 * `sent`, `delivered` and `read` are cumulative (a read message was also delivered and sent),
 * `pending` is everything not sent yet. Used by the API (GET /api/campaigns/:id) and by the
 * campaign's live view (the Durable Object's WebSocket messages), so both show the same numbers.
 */
export function progressView(total: number, states: Record<string, number>) {
  const s = (k: string) => states[k] ?? 0;
  return {
    total,
    pending: s("pending") + s("released") + s("sending"),
    sent: s("sent") + s("delivered") + s("read") + s("replied"),
    delivered: s("delivered") + s("read") + s("replied"),
    read: s("read") + s("replied"),
    replied: s("replied"),
    failed: s("failed"),
    skipped: s("skipped"),
    cancelled: s("cancelled"),
    unknown: s("unknown"),
  };
}

export type ProgressView = ReturnType<typeof progressView>;
