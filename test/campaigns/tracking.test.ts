import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson } from "../helpers";
import { consume, envelope, status } from "./webhook-events";
import {
  allRecipients,
  campaignView,
  createCampaign,
  drive,
  INSTANT_STATUSES,
  senderOf,
  setScenario,
  sleep,
  templateCampaign,
  type World,
  world,
} from "./world";

/** A completed campaign of `count` recipients (sandbox webhooks off, so the test writes the statuses). */
async function sentCampaign(count: number) {
  const w = await world(count);
  const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 0, max_delay_s: 0 }));
  await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
  await drive(w.admin, id, (c) => c.status === "completed");
  const recipients = await allRecipients(w.admin, id);
  return { w, id, recipients };
}

const progressOf = async (w: World, id: number) => (await campaignView(w.admin, id)).progress as Record<string, number>;

describe("delivery tracking", () => {
  it("applies statuses forward only, whatever duplicates and order; counters stay exact", async () => {
    const { w, id, recipients } = await sentCampaign(4);
    const [a, b, c, d] = recipients as [any, any, any, any];
    const t = 1_790_000_000;
    await consume(
      w,
      envelope(w, { statuses: [status(id, a, "read", t + 3), status(id, a, "delivered", t + 2), status(id, b, "delivered", t + 2)] }),
      envelope(w, { statuses: [status(id, a, "delivered", t + 2), status(id, b, "delivered", t + 2), status(id, a, "sent", t + 1)] }),
      envelope(w, { statuses: [status(id, c, "failed", t + 2, { errors: [{ code: 131026, title: "Message undeliverable" }] })] }),
    );
    // failed, then a later proof of delivery
    await consume(
      w,
      envelope(w, { statuses: [status(id, d, "failed", t + 2, { errors: [{ code: 131000, title: "Something went wrong" }] }), status(id, d, "read", t + 5)] }),
    );
    const states = Object.fromEntries((await allRecipients(w.admin, id)).map((r) => [r.id, r.state]));
    expect(states).toEqual({ [a.id]: "read", [b.id]: "delivered", [c.id]: "failed", [d.id]: "read" });
    expect(await progressOf(w, id)).toMatchObject({ total: 4, sent: 3, delivered: 3, read: 2, failed: 1, pending: 0 });
    // A batch of a campaign's statuses without a failure writes nothing to D1, and is applied all the same.
    await consume(w, envelope(w, { statuses: [status(id, b, "read", t + 6)] }));
    expect((await allRecipients(w.admin, id)).find((r) => r.id === b.id)?.state).toBe("read");
    // D1 keeps only the campaign's failures (their codes are counted across the workspace); the
    // rest of each recipient's timeline is in the campaign's object.
    const stored = await env.DB.prepare("SELECT wamid, status, error_code FROM message_events WHERE inbox_id = ? ORDER BY wamid")
      .bind(w.inbox.id)
      .all<{ wamid: string; status: string; error_code: number }>();
    expect(stored.results).toEqual(
      [
        { wamid: c.wamid, status: "failed", error_code: 131026 },
        { wamid: d.wamid, status: "failed", error_code: 131000 },
      ].sort((x, y) => (x.wamid < y.wamid ? -1 : 1)),
    );
  });

  it("ignores a status whose wamid is not the recipient's", async () => {
    const { w, id, recipients } = await sentCampaign(1);
    const r = recipients[0]!;
    await consume(w, envelope(w, { statuses: [status(id, { ...r, wamid: "wamid.SOMEONE-ELSE" }, "read", 1_790_000_000)] }));
    expect((await allRecipients(w.admin, id))[0]!.state).toBe("sent");
  });

  it("marks replies by context and by the attribution window, once", async () => {
    const { w, id, recipients } = await sentCampaign(3);
    const [a, b, c] = recipients as [any, any, any];
    const now = Math.floor(Date.now() / 1000);
    await consume(
      w,
      envelope(w, {
        messages: [
          { from: a.phone.slice(1), id: "wamid.R1", timestamp: String(now + 5), type: "text", text: { body: "quero!" }, context: { from: "1", id: a.wamid } },
          { from: b.phone.slice(1), id: "wamid.R2", timestamp: String(now + 6), type: "button", button: { payload: "Quero!", text: "Quero!" } },
          // Far beyond the 72 h attribution window: not a reply to this campaign.
          { from: c.phone.slice(1), id: "wamid.R3", timestamp: String(now + 80 * 3600), type: "text", text: { body: "oi" } },
        ],
      }),
      envelope(w, {
        messages: [
          { from: a.phone.slice(1), id: "wamid.R4", timestamp: String(now + 9), type: "text", text: { body: "again" }, context: { from: "1", id: a.wamid } },
        ],
      }),
    );
    const states = Object.fromEntries((await allRecipients(w.admin, id)).map((r) => [r.id, r.state]));
    expect(states).toEqual({ [a.id]: "replied", [b.id]: "replied", [c.id]: "sent" });
    expect(await progressOf(w, id)).toMatchObject({ total: 3, sent: 3, replied: 2 });
  });

  it("counts a reply that arrives before its send was copied to D1", async () => {
    const w = await world(3);
    // Slow enough that the campaign is still sending after its first send.
    const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 600, max_delay_s: 600 }));
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    await drive(w.admin, id, (c) => c.progress.sent >= 1);
    const a = (await allRecipients(w.admin, id)).find((r) => r.state === "sent")!;
    // The send as it is right after the report: in the object's outbox, not yet in D1.
    await env.DB.prepare("DELETE FROM campaign_sends WHERE campaign_id = ?").bind(id).run();
    await runInDurableObject(senderOf(id), (_instance, state) => {
      state.storage.sql.exec(
        "INSERT OR IGNORE INTO sends_outbox (recipient_id, wamid, phone, sent_at) VALUES (?, ?, ?, ?)",
        a.id,
        a.wamid,
        a.phone,
        Math.floor(Date.now() / 1000),
      );
    });
    const now = Math.floor(Date.now() / 1000);
    await consume(
      w,
      envelope(w, {
        messages: [
          {
            from: a.phone.slice(1),
            id: "wamid.EARLY",
            timestamp: String(now + 1),
            type: "text",
            text: { body: "quero!" },
            context: { from: "1", id: a.wamid },
          },
        ],
      }),
    );
    expect((await allRecipients(w.admin, id)).find((r) => r.id === a.id)!.state).toBe("replied");
    expect(await progressOf(w, id)).toMatchObject({ replied: 1 });
  });

  it("statuses from the sandbox arrive through the signed webhook path and reach the campaign", async () => {
    const w = await world(5);
    await setScenario(w.admin, w.inbox.id, INSTANT_STATUSES);
    const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 0, max_delay_s: 0 }));
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    await drive(w.admin, id, (c) => c.status === "completed");
    const sandbox = env.SANDBOX.get(env.SANDBOX.idFromName(w.inbox.phone_number_id));
    let progress: Record<string, number> = {};
    for (let i = 0; i < 60 && progress.read !== 5; i++) {
      await runDurableObjectAlarm(sandbox);
      await sleep(100);
      progress = await progressOf(w, id);
    }
    expect(progress).toMatchObject({ total: 5, sent: 5, delivered: 5, read: 5 });
    expect((await senderOf(id).progress()).states.read).toBe(5);
    // The per-minute series adds up to the same numbers.
    const series = await callJson<{ data: Record<string, number | string>[] }>(`/api/campaigns/${id}/series`, { auth: w.admin });
    const sum = (k: string) => series.data.reduce((n, p) => n + (p[k] as number), 0);
    expect({ sent: sum("sent"), delivered: sum("delivered"), read: sum("read") }).toEqual({ sent: 5, delivered: 5, read: 5 });
  });
});

describe("webhooks of another inbox", () => {
  it("a status or reply received through another inbox leaves the campaign's recipients unchanged", async () => {
    const { w, id, recipients } = await sentCampaign(3);
    const [a, b, c] = recipients as [any, any, any];
    // As if the send's answer had been lost: no wamid, so only the callback data names it.
    await runInDurableObject(senderOf(id), (_instance, state) => {
      state.storage.sql.exec("UPDATE recipients SET state = 'unknown', wamid = NULL WHERE id = ?", c.id);
    });
    const elsewhere = await world(0, { sync: false });
    const sibling = await world(0, { admin: w.admin, sync: false });
    const now = Math.floor(Date.now() / 1000);
    const forged = (through: World) =>
      envelope(through, {
        statuses: [status(id, a, "read", now), status(id, b, "delivered", now), status(id, { ...c, wamid: "wamid.FORGED" }, "delivered", now)],
        messages: [
          {
            from: a.phone.slice(1),
            id: `wamid.Q${through.inbox.id}`,
            timestamp: String(now + 5),
            type: "text",
            text: { body: "oi" },
            context: { from: "1", id: a.wamid },
          },
          { from: b.phone.slice(1), id: `wamid.P${through.inbox.id}`, timestamp: String(now + 6), type: "text", text: { body: "oi" } },
        ],
      });
    await consume(elsewhere, forged(elsewhere));
    await consume(sibling, forged(sibling));
    const states = Object.fromEntries((await allRecipients(w.admin, id)).map((r) => [r.id, r.state]));
    expect(states).toEqual({ [a.id]: "sent", [b.id]: "sent", [c.id]: "unknown" });
    expect(await progressOf(w, id)).toMatchObject({ total: 3, sent: 2, unknown: 1, read: 0, delivered: 0, failed: 0, replied: 0 });
    // The same events through the campaign's own inbox do apply.
    await consume(w, forged(w));
    const after = Object.fromEntries((await allRecipients(w.admin, id)).map((r) => [r.id, r.state]));
    expect(after).toEqual({ [a.id]: "replied", [b.id]: "replied", [c.id]: "delivered" });
  });
});

describe("template status and exports", () => {
  it("a running campaign whose template becomes PAUSED pauses with that reason", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 30, max_delay_s: 30 }));
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    await consume(w, {
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "message_template_status_update",
              value: {
                event: "PAUSED",
                message_template_id: 1,
                message_template_name: "welcome_offer",
                message_template_language: "pt_BR",
                reason: "LOW_QUALITY",
              },
            },
          ],
        },
      ],
    });
    const campaign = await campaignView(w.admin, id);
    expect(campaign.status).toBe("paused");
    expect(campaign.status_reason).toContain("welcome_offer");
    expect(campaign.status_reason).toContain("PAUSED");
    const templates = await callJson<{ data: { name: string; status: string }[] }>(`/api/inboxes/${w.inbox.id}/templates`, { auth: w.admin });
    expect(templates.data.find((t) => t.name === "welcome_offer")!.status).toBe("PAUSED");
  });

  it("exports every recipient as CSV, safe against formula injection", async () => {
    const { w, id } = await sentCampaign(3);
    const res = await call(`/api/campaigns/${id}/recipients.csv`, { auth: w.admin });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      [
        "phone",
        "name",
        "state",
        "variant",
        "wamid",
        "sent_at",
        "delivered_at",
        "read_at",
        "replied_at",
        "failed_at",
        "error_code",
        "error_title",
        "error_details",
        "reason",
        "content",
      ]
        .map((h) => `"${h}"`)
        .join(","),
    );
    expect(lines).toHaveLength(4);
    for (const line of lines.slice(1)) {
      expect(line.startsWith(`"'+55`)).toBe(true);
      expect(line).toContain(',"sent",');
    }
  });

  it("the exported file imports back: the apostrophe that guards each phone is not part of the number", async () => {
    const { w, id } = await sentCampaign(3);
    const exported = await (await call(`/api/campaigns/${id}/recipients.csv`, { auth: w.admin })).text();
    const columns = ["phone", "name", ...Array(13).fill("ignore")].join(",");
    const res = await call(`/api/contacts/import?columns=${columns}`, {
      method: "POST",
      body: exported,
      headers: { "content-type": "text/csv" },
      auth: w.admin,
    });
    const result = (await res.json()) as { created: number; updated: number; skipped: number; errors: unknown[] };
    expect(res.status).toBe(200);
    expect(result).toMatchObject({ created: 0, updated: 3, skipped: 0, errors: [] });
  });
});

describe("attribution window", () => {
  it("follows the workspace's setting", async () => {
    const { w, id, recipients } = await sentCampaign(2);
    const [a, b] = recipients as [any, any];
    await callJson("/api/workspace", { method: "PATCH", json: { attribution_window_hours: 1 }, auth: w.admin });
    const now = Math.floor(Date.now() / 1000);
    await consume(
      w,
      envelope(w, {
        messages: [
          { from: a.phone.slice(1), id: "wamid.W1", timestamp: String(now + 30 * 60), type: "text", text: { body: "within the hour" } },
          { from: b.phone.slice(1), id: "wamid.W2", timestamp: String(now + 2 * 3600), type: "text", text: { body: "two hours later" } },
        ],
      }),
    );
    const states = Object.fromEntries((await allRecipients(w.admin, id)).map((r) => [r.id, r.state]));
    expect(states).toEqual({ [a.id]: "replied", [b.id]: "sent" });
    const bad = await call("/api/workspace", { method: "PATCH", json: { attribution_window_hours: 0 }, auth: w.admin });
    expect(bad.status).toBe(400);
  });
});

describe("unknown outcomes and opt-out replies", () => {
  it("a later status resolves an unknown recipient; an opt-out reply counts as a reply and opts the contact out", async () => {
    const { w, id, recipients } = await sentCampaign(2);
    const [a, b] = recipients as [any, any];
    // As if the send's answer had been lost: the recipient is unknown and has no wamid.
    await runInDurableObject(senderOf(id), (_instance, state) => {
      state.storage.sql.exec("UPDATE recipients SET state = 'unknown', wamid = NULL WHERE id = ?", a.id);
    });
    expect((await progressOf(w, id)).unknown).toBe(1);
    const now = Math.floor(Date.now() / 1000);
    await consume(w, envelope(w, { statuses: [status(id, { ...a, wamid: "wamid.LATE-PROOF" }, "delivered", now)] }));
    await consume(
      w,
      envelope(w, {
        messages: [
          {
            from: b.phone.slice(1),
            id: "wamid.STOP1",
            timestamp: String(now + 60),
            type: "text",
            text: { body: "PARAR" },
            context: { from: "1", id: b.wamid },
          },
        ],
      }),
    );
    const rows = Object.fromEntries((await allRecipients(w.admin, id)).map((r) => [r.id, r]));
    expect(rows[a.id]).toMatchObject({ state: "delivered", wamid: "wamid.LATE-PROOF" });
    expect(rows[b.id]!.state).toBe("replied");
    expect(await progressOf(w, id)).toMatchObject({ total: 2, unknown: 0, delivered: 2, replied: 1 });
    const contact = await env.DB.prepare("SELECT opted_out_at FROM contacts WHERE workspace_id = ? AND phone = ?")
      .bind(w.admin.workspaceId, b.phone)
      .first<{ opted_out_at: number | null }>();
    expect(contact!.opted_out_at).not.toBeNull();
  });
});
