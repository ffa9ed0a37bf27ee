import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Grant, OutboundJob, Progress } from "../worker/campaigns/campaign-sender";
import { DEAD_LETTER_BODY_MAX } from "../worker/dead-letters/consumer";
import worker from "../worker/index";
import type { WebhookJob } from "../worker/webhooks/job";
import { createCampaign, holdOutbound, senderOf, templateCampaign, world } from "./campaigns/world";
import { type Account, call, callJson, errorCode, seedOperator, seedWorkspace } from "./helpers";

type DeadLetter = {
  id: number;
  queue: string;
  kind: string;
  summary: string;
  inbox_id: number | null;
  campaign_id: number | null;
  body: string;
  body_truncated: boolean;
  received_at: string;
};
type Page = { data: DeadLetter[]; next_cursor: string | null };

let seq = 0;

/** Hands `bodies` to the Worker's queue handler as a batch from dead-letter queue `queue`; returns the message ids and the result. */
async function deadLetter(queue: "herald-webhooks-dead" | "herald-outbound-dead", ...bodies: unknown[]) {
  const messages = bodies.map((body) => ({ id: `dead-${Date.now()}-${seq++}`, timestamp: new Date(), attempts: 1, body }));
  const batch = createMessageBatch(queue, messages);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, env, ctx);
  return { ids: messages.map((m) => m.id), result: await getQueueResult(batch, ctx) };
}

const rowOf = (queue: string, messageId: string) =>
  env.DB.prepare("SELECT workspace_id, inbox_id, campaign_id, kind, summary, body, body_truncated FROM dead_letters WHERE queue = ? AND message_id = ?")
    .bind(queue, messageId)
    .first<Record<string, unknown>>();

const webhookJob = (account: Account, inboxId: number, body: string): WebhookJob => ({
  inboxId,
  workspaceId: account.workspaceId,
  receivedAt: Date.now(),
  body,
});

const statusEnvelope = (wamid: string) =>
  JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "1",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "1", phone_number_id: "1" },
              statuses: [{ id: wamid, status: "delivered", timestamp: "1750000000" }],
            },
          },
        ],
      },
    ],
  });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("webhook dead letters", () => {
  it("are recorded, acknowledged and listed to the workspace's admins, newest first, page by page", async () => {
    const admin = await seedWorkspace();
    const { ids, result } = await deadLetter(
      "herald-webhooks-dead",
      webhookJob(admin, 7001, statusEnvelope("wamid.D1")),
      webhookJob(admin, 7001, statusEnvelope("wamid.D2")),
      webhookJob(admin, 7002, "not json"),
    );
    expect(result.ackAll).toBe(false);
    expect([...result.explicitAcks].sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    expect(await rowOf("herald-webhooks-dead", ids[0]!)).toMatchObject({ workspace_id: admin.workspaceId, inbox_id: 7001, kind: "webhook", body_truncated: 0 });
    expect((await rowOf("herald-webhooks-dead", ids[0]!))!.summary).toMatch(/^inbox 7001: 1 status received .*, never applied$/);
    expect((await rowOf("herald-webhooks-dead", ids[2]!))!.summary).toMatch(/^inbox 7002: a payload that is not a WhatsApp envelope/);

    const first = await callJson<Page>("/api/dead-letters?limit=2", { auth: admin });
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const second = await callJson<Page>(`/api/dead-letters?limit=2&cursor=${first.next_cursor}`, { auth: admin });
    expect(second.next_cursor).toBeNull();
    const all = [...first.data, ...second.data];
    expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort((a, b) => b - a));
    expect(all.map((d) => d.inbox_id)).toEqual([7002, 7001, 7001]);
    const oldest = all[2]!;
    expect(oldest).toMatchObject({ queue: "herald-webhooks-dead", kind: "webhook", campaign_id: null, body_truncated: false });
    expect(JSON.parse(oldest.body)).toMatchObject({ inboxId: 7001, workspaceId: admin.workspaceId, body: statusEnvelope("wamid.D1") });
    expect(new Date(oldest.received_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect((await callJson<Page>("/api/dead-letters?queue=herald-outbound-dead", { auth: admin })).data).toEqual([]);
  });

  it("a message delivered twice is recorded once", async () => {
    const admin = await seedWorkspace();
    const job = webhookJob(admin, 7003, statusEnvelope("wamid.TWICE"));
    const message = { id: `dead-twice-${Date.now()}`, timestamp: new Date(), attempts: 1, body: job };
    for (let i = 0; i < 2; i++) {
      const batch = createMessageBatch("herald-webhooks-dead", [message]);
      const ctx = createExecutionContext();
      await worker.queue(batch as MessageBatch<never>, env, ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([message.id]);
    }
    expect((await callJson<Page>("/api/dead-letters", { auth: admin })).data).toHaveLength(1);
  });

  it("keeps at most 16 KB of a body and says it was cut", async () => {
    const admin = await seedWorkspace();
    const { ids } = await deadLetter("herald-webhooks-dead", webhookJob(admin, 7004, `{"pad":"${"x".repeat(40_000)}"}`));
    const row = await rowOf("herald-webhooks-dead", ids[0]!);
    expect(row!.body_truncated).toBe(1);
    expect((row!.body as string).length).toBe(DEAD_LETTER_BODY_MAX);
    const [listed] = (await callJson<Page>("/api/dead-letters", { auth: admin })).data;
    expect(listed).toMatchObject({ body_truncated: true, inbox_id: 7004 });
  });

  it("logs one JSON line with the workspace and inbox", async () => {
    const admin = await seedWorkspace();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await deadLetter("herald-webhooks-dead", webhookJob(admin, 7005, statusEnvelope("wamid.LOG")));
    const lines = errors.mock.calls.map(([line]) => (typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : null)).filter(Boolean);
    expect(lines).toContainEqual(
      expect.objectContaining({ event: "dead_letter", queue: "herald-webhooks-dead", kind: "webhook", workspace_id: admin.workspaceId, inbox_id: 7005 }),
    );
  });
});

describe("who sees dead letters", () => {
  it("an operator gets 403; another workspace's admin does not see them; a job of no existing workspace is recorded and shown to nobody", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const stranger = await seedWorkspace();
    const orphan: WebhookJob = { inboxId: 7101, workspaceId: 987_654_321, receivedAt: Date.now(), body: statusEnvelope("wamid.ORPHAN") };
    const { ids } = await deadLetter("herald-webhooks-dead", webhookJob(admin, 7100, statusEnvelope("wamid.MINE")), orphan);
    expect((await callJson<Page>("/api/dead-letters", { auth: admin })).data.map((d) => d.inbox_id)).toEqual([7100]);

    const forbidden = await call("/api/dead-letters", { auth: operator });
    expect(forbidden.status).toBe(403);
    expect(await errorCode(forbidden)).toBe("forbidden");
    expect((await callJson<Page>("/api/dead-letters", { auth: stranger })).data).toEqual([]);
    expect(await rowOf("herald-webhooks-dead", ids[1]!)).toMatchObject({ workspace_id: null, inbox_id: 7101, kind: "webhook" });
  });

  it("a bad query names the field", async () => {
    const admin = await seedWorkspace();
    const res = await call("/api/dead-letters?queue=herald-webhooks&limit=0", { auth: admin });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.path).sort()).toEqual(["limit", "queue"]);
  });

  it("is documented in the OpenAPI document as an admin route with its query", async () => {
    const doc = await callJson<{ paths: Record<string, Record<string, { description?: string; parameters?: { name: string }[] }>> }>("/api/openapi.json");
    const op = doc.paths["/api/dead-letters"]!.get!;
    expect(op.description).toBe("Requires the admin role.");
    expect(op.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["queue", "cursor", "limit"]));
  });
});

describe("outbound dead letters", () => {
  it("a release is recorded under its campaign's workspace, with the campaign", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    const job: OutboundJob = { campaignId: id, inboxId: w.inbox.id, ids: [11, 12] };
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { ids, result } = await deadLetter("herald-outbound-dead", job);
    expect(result.explicitAcks).toEqual(ids);
    const [listed] = (await callJson<Page>("/api/dead-letters", { auth: w.admin })).data;
    expect(listed).toMatchObject({ queue: "herald-outbound-dead", kind: "release", campaign_id: id, inbox_id: w.inbox.id });
    expect(listed!.summary).toContain(`campaign ${id}: 2 released recipients (ids 11, 12)`);
    const lines = errors.mock.calls.map(([line]) => (typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : null)).filter(Boolean);
    expect(lines).toContainEqual(expect.objectContaining({ event: "dead_letter", kind: "release", workspace_id: w.admin.workspaceId, campaign_id: id }));
  });

  it("a report that never reached its campaign is handed to it, so its recipients end in the reported states", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    for (let i = 0; i < 100 && held.flatMap((j) => j.ids).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const stub = senderOf(id);
    const { grants } = (await stub.claim(held.flatMap((j) => j.ids))) as unknown as { grants: Grant[] };
    expect(grants).toHaveLength(2);
    const [a, b] = grants as [Grant, Grant];
    const job: OutboundJob = {
      campaignId: id,
      inboxId: w.inbox.id,
      ids: [],
      report: [
        { id: a.id, claim: a.claim, result: "sent", wamid: "wamid.DEAD-SENT" },
        { id: b.id, claim: b.claim, result: "failed", policy: "fail_recipient", code: 131026, title: "Message undeliverable" },
      ],
    };
    await deadLetter("herald-outbound-dead", job);
    const progress = (await stub.progress()) as Progress;
    expect(progress.states).toMatchObject({ sending: 0, sent: 1, failed: 1 });
    const [listed] = (await callJson<Page>("/api/dead-letters", { auth: w.admin })).data;
    expect(listed).toMatchObject({ kind: "report", campaign_id: id });
    expect(listed!.summary).toContain("the outcomes of 2 recipients (1 sent, 1 failed) never reached the campaign; handed to it again");
  });

  it("a report arriving after the claim timeout still applies to the claim it answers, and to no other", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    for (let i = 0; i < 100 && held.flatMap((j) => j.ids).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const stub = senderOf(id);
    const grants = ((await stub.claim(held.flatMap((j) => j.ids))) as unknown as { grants: Grant[] }).grants;
    expect(grants).toHaveLength(2);
    const [a, b] = grants as [Grant, Grant];
    // Five minutes without a report: both claims time out and the recipients become unknown.
    await runInDurableObject(stub as DurableObjectStub, (instance: unknown) => {
      (instance as { store: { expireClaims(before: number, now: number): void } }).store.expireClaims(Date.now() + 1, Date.now());
    });
    await stub.tick();
    expect(((await stub.progress()) as Progress).states).toMatchObject({ sending: 0, unknown: 2 });

    await deadLetter("herald-outbound-dead", {
      campaignId: id,
      inboxId: w.inbox.id,
      ids: [],
      report: [
        { id: a.id, claim: a.claim, result: "sent", wamid: "wamid.TOO-LATE" },
        // Not the claim this recipient was given: it changes nothing.
        { id: b.id, claim: b.claim - 1, result: "sent", wamid: "wamid.FORGED" },
      ],
    } satisfies OutboundJob);
    const progress = (await stub.progress()) as Progress;
    expect(progress).toMatchObject({ status: "completed", total: 2 });
    expect(progress.states).toMatchObject({ sending: 0, unknown: 1, sent: 1 });
    const rows = await runInDurableObject(stub, (_: unknown, state) =>
      state.storage.sql.exec<{ id: number; state: string; wamid: string | null }>("SELECT id, state, wamid FROM recipients ORDER BY id").toArray(),
    );
    expect(rows.find((r) => r.id === a.id)).toMatchObject({ state: "sent", wamid: "wamid.TOO-LATE" });
    expect(rows.find((r) => r.id === b.id)).toMatchObject({ state: "unknown", wamid: null });
    // A late "not sent" for the other claim: the campaign has completed, so it is not sent again.
    await stub.report([{ id: b.id, claim: b.claim, result: "retry", policy: "retry_later", title: "timeout" } as never]);
    expect(((await stub.progress()) as Progress).states).toMatchObject({ unknown: 0, sent: 1, cancelled: 1, pending: 0 });
    const [listed] = (await callJson<Page>("/api/dead-letters", { auth: w.admin })).data;
    expect(listed).toMatchObject({ kind: "report", campaign_id: id });
    expect(JSON.parse(listed!.body).report[0].wamid).toBe("wamid.TOO-LATE");
  });
});
