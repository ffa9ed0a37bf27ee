import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { InboxLimiter } from "../../worker/campaigns/inbox-limiter";
import { callJson } from "../helpers";
import { createCampaign, drive, templateCampaign, world } from "./world";

const limiterOf = (inboxId: number) => env.INBOX_LIMITER.get(env.INBOX_LIMITER.idFromName(String(inboxId))) as DurableObjectStub<InboxLimiter>;

/** Fills the inbox's rolling 24 h count as if `n` other users had been messaged outside their window. */
async function used(inboxId: number, n: number) {
  await runInDurableObject(limiterOf(inboxId), (_instance, state) => {
    for (let i = 0; i < n; i++)
      state.storage.sql.exec("INSERT INTO business_initiated (phone, first_at) VALUES (?, ?)", `+1555000${String(i).padStart(4, "0")}`, Date.now() - 3600_000);
  });
}

describe("messaging-limit guard", () => {
  it("never exceeds the tier: the rest waits with a visible note, recipients inside the window still go", { timeout: 20_000 }, async () => {
    const w = await world(6);
    // One contact wrote an hour ago: inside the service window, it does not count against the tier.
    await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() - 3600 WHERE workspace_id = ? AND phone = ?")
      .bind(w.admin.workspaceId, w.phones[5])
      .run();
    await used(w.inbox.id, 247);
    const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 0, max_delay_s: 0 }));
    const preview = await callJson<any>(`/api/campaigns/${id}/preview`, { auth: w.admin });
    expect(preview).toMatchObject({ recipients: 6, outside_window: 5, messaging_limit: { tier: "250", used: 247, remaining: 3 } });
    expect(preview.messaging_limit.warning).toContain("5 recipients");

    const launched = await callJson<any>(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    expect(launched.warnings).toHaveLength(1);
    const c = await drive(w.admin, id, (v) => v.progress.sent === 4 && v.status_note !== null, 8_000);
    expect(c.status).toBe("sending");
    expect(c.progress).toMatchObject({ total: 6, sent: 4, pending: 2, failed: 0 });
    expect(c.status_note).toContain("messaging limit");
    expect((await limiterOf(w.inbox.id).usage()).used).toBe(250);
    const stats = await callJson<any>(`/api/sandbox/inboxes/${w.inbox.id}/stats`, { auth: w.admin });
    expect(stats.accepted).toBe(4);
  });
});
