import { describe, expect, it } from "vitest";
import { DELIVERY_RANK, deliveryRank, deliveryRankSql } from "../../worker/domain/delivery-status";

describe("delivery status order", () => {
  it("moves forward only: sent, failed, delivered, read, replied", () => {
    const order = ["sent", "failed", "delivered", "read", "replied"].map((s) => deliveryRank(s)!);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
  });

  it("ranks every state before WhatsApp's first status lowest, and leaves skipped and cancelled recipients out", () => {
    for (const s of ["pending", "released", "sending", "accepted", "unknown"]) expect(deliveryRank(s), s).toBe(0);
    for (const s of ["skipped", "cancelled"]) expect(deliveryRank(s), s).toBeUndefined();
  });

  it("is the same order in SQL", () => {
    const sql = deliveryRankSql("status");
    for (const [status, rank] of Object.entries(DELIVERY_RANK)) expect(sql).toContain(`WHEN '${status}' THEN ${rank}`);
    expect(sql).toMatch(/ELSE 0 END$/);
  });
});
