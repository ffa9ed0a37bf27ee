/** Where a campaign's recipient stands, from waiting to be released to replied (or never sent). */
export const RECIPIENT_STATES = [
  "pending",
  "released",
  "sending",
  "sent",
  "delivered",
  "read",
  "replied",
  "failed",
  "skipped",
  "cancelled",
  "unknown",
] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

/**
 * How far a message has got, in the one order Herald tracks it by, for single messages and campaign
 * recipients alike: statuses only move it forward, `failed` yields to a later proof of delivery
 * (WhatsApp can report a failure and then a delivery), and a reply is the furthest.
 */
export const DELIVERY_RANK: Readonly<Record<string, number>> = { sent: 1, failed: 2, delivered: 3, read: 4, replied: 5 };

/** States before WhatsApp's first status: waiting, being sent, accepted, or sent without an answer. */
const BEFORE_FIRST_STATUS: ReadonlySet<string> = new Set(["pending", "released", "sending", "accepted", "unknown"]);

/**
 * The rank of a status or state; undefined for one that tracking never moves (a recipient that was
 * skipped or cancelled was never sent).
 * @example deliveryRank("read") // 4
 * @example deliveryRank("sending") // 0
 * @example deliveryRank("skipped") // undefined
 */
export function deliveryRank(status: string): number | undefined {
  return DELIVERY_RANK[status] ?? (BEFORE_FIRST_STATUS.has(status) ? 0 : undefined);
}

/** The same rank in SQL, for a column holding a status (0 for any status before the first). */
export function deliveryRankSql(column: string): string {
  return `CASE ${column} ${Object.entries(DELIVERY_RANK)
    .map(([status, rank]) => `WHEN '${status}' THEN ${rank}`)
    .join(" ")} ELSE 0 END`;
}
