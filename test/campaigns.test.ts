import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, seedWorkspace, type Account } from "./helpers";

type Inbox = { id: number; phone_number_id: string };

let seq = 0;
async function world(count: number, scenario: Record<string, unknown> = {}) {
  const admin = await seedWorkspace();
  const n = `${Date.now() % 1e9}${seq++}`;
  const inbox = await callJson<Inbox>("/api/inboxes", { json: { name: "Sandbox", provider: "sandbox", phone_number_id: `6${n}`, waba_id: `5${n}` }, auth: admin });
  await callJson(`/api/sandbox/inboxes/${inbox.id}/scenario`, { method: "PUT", json: { pair_rate_limit_ms: 0, webhooks_enabled: false, ...scenario }, auth: admin });
  await callJson(`/api/inboxes/${inbox.id}/templates/sync`, { method: "POST", expect: 200, auth: admin });
  const label = await callJson<{ id: number }>("/api/labels", { json: { name: "Audience" }, auth: admin });
  const lines = ["name,phone,labels,city", ...Array.from({ length: count }, (_, i) => `Person ${i},+55 11 9${String(60_000_000 + seq * 10_000 + i + 1).padStart(8, "0")},Audience,Recife`)];
  const imported = await callJson<{ created: number }>("/api/contacts/import", { method: "POST", body: lines.join("\n"), headers: { "content-type": "text/csv" }, expect: 200, auth: admin });
  expect(imported.created).toBe(count);
  return { admin, inbox, labelId: label.id };
}

const templateCampaign = (inboxId: number, labelId: number, settings: Record<string, unknown> = {}) => ({
  title: "Welcome",
  inbox_id: inboxId,
  audience: { labels: [labelId] },
  content: {
    type: "template",
    template_name: "welcome_offer",
    language: "pt_BR",
    values: {
      header: { "1": { source: "contact", field: "name", fallback: "cliente" } },
      body: { "1": { source: "contact", field: "name" }, "2": { source: "fixed", value: "BEMVINDO15" } },
    },
  },
  settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 50, ...settings },
});

async function drive(admin: Account, campaignId: number, until: (c: any) => boolean, timeoutMs = 15_000) {
  const stub = env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(String(campaignId)));
  const deadline = Date.now() + timeoutMs;
  let campaign: any;
  for (;;) {
    await runDurableObjectAlarm(stub);
    campaign = await callJson(`/api/campaigns/${campaignId}`, { auth: admin });
    if (until(campaign) || Date.now() > deadline) return campaign;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("campaign engine", () => {
  it("sends a template campaign to every recipient exactly once and completes", async () => {
    const { admin, inbox, labelId } = await world(12);
    const created = await callJson<{ id: number; status: string }>("/api/campaigns", { json: templateCampaign(inbox.id, labelId), auth: admin });
    expect(created.status).toBe("draft");
    const launched = await callJson<any>(`/api/campaigns/${created.id}/launch`, { json: {}, expect: 200, auth: admin });
    expect(launched.status).toBe("sending");
    expect(launched.progress.total).toBe(12);
    const done = await drive(admin, created.id, (c) => c.status === "completed");
    expect(done.status).toBe("completed");
    expect(done.progress).toMatchObject({ total: 12, sent: 12, pending: 0, failed: 0 });
    const stats = await callJson<any>(`/api/sandbox/inboxes/${inbox.id}/stats`, { auth: admin });
    expect(stats).toMatchObject({ accepted: 12, duplicates: 0, sends_per_recipient_max: 1 });
  });
});
