import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseCsv } from "../../worker/domain/csv";
import { call, callJson, errorCode, seedWorkspace } from "../helpers";
import { consume, envelope, status } from "./webhook-events";
import { allRecipients, campaignView, createCampaign, drive, templateCampaign, textCampaign, type World, world } from "./world";

type VariantRow = {
  variant: number;
  text: string;
  recipients: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
  read_rate: number | null;
  reply_rate: number | null;
};
type Results = {
  data: VariantRow[];
  unassigned: number;
  verdict: string;
  best: { variant: number; metric: string; reply_rate: number; versus: number; z: number; p_value: number } | null;
  comparisons: { variant: number; versus: number; z: number; p_value: number; significant: boolean }[];
  test: { name: string; metric: string; confidence: number; alpha_per_comparison: number | null; min_delivered: number; min_expected: number };
  note: string | null;
};
type Recipient = { id: number; phone: string; state: string; variant: number | null; wamid: string | null };

const VARIANTS = ['Oi {{contact.name | "cliente"}}! Temos uma oferta para você.', "Olá! Frete grátis só hoje.", "Última chance: 20 % de desconto."];
const PER_VARIANT = 40;
const OUTSIDE_WINDOW = 3;

/**
 * What each variant's recipients go through, in send order: the first `replied` are delivered,
 * read and replied, the next read, the next only delivered, then `failed` fail; the rest stay sent.
 */
const PLAN = [
  { delivered: 38, read: 34, replied: 20, failed: 2 },
  { delivered: 36, read: 25, replied: 6, failed: 1 },
  { delivered: 35, read: 20, replied: 5, failed: 0 },
];

const resultsOf = (w: Pick<World, "admin">, id: number) => callJson<Results>(`/api/campaigns/${id}/variants`, { auth: w.admin });

/** A world whose contacts wrote in an hour ago (inside the 24 h window), but for the last `outside`. */
async function textWorld(count: number, outside = 0): Promise<World> {
  const w = await world(count);
  await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() - 3600 WHERE workspace_id = ?").bind(w.admin.workspaceId).run();
  for (const phone of w.phones.slice(count - outside)) {
    await env.DB.prepare("UPDATE contacts SET last_inbound_at = NULL WHERE workspace_id = ? AND phone = ?").bind(w.admin.workspaceId, phone).run();
  }
  return w;
}

/** The webhook events that take one variant's recipients through its PLAN. */
function planEvents(campaignId: number, recipients: Recipient[], plan: (typeof PLAN)[number], t: number) {
  const statuses: unknown[] = [];
  const messages: unknown[] = [];
  recipients.forEach((r, i) => {
    if (i < plan.delivered) statuses.push(status(campaignId, r, "delivered", t + 1));
    if (i < plan.read) statuses.push(status(campaignId, r, "read", t + 2));
    if (i < plan.replied) {
      messages.push({
        from: r.phone.slice(1),
        id: `wamid.REPLY${campaignId}x${r.id}`,
        timestamp: String(t + 3),
        type: "text",
        text: { body: "Quero!" },
        context: { from: "1", id: r.wamid },
      });
    }
    if (i >= plan.delivered && i < plan.delivered + plan.failed) {
      statuses.push(status(campaignId, r, "failed", t + 1, { errors: [{ code: 131026, title: "Message undeliverable" }] }));
    }
  });
  return { statuses, messages };
}

const chunks = <T>(items: T[], size: number) => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** The recipients CSV as rows keyed by column name. */
async function exportedRows(w: Pick<World, "admin">, id: number): Promise<Record<string, string>[]> {
  const res = await call(`/api/campaigns/${id}/recipients.csv`, { auth: w.admin });
  expect(res.status).toBe(200);
  const parsed = parseCsv(await res.text());
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.records.map((r) => Object.fromEntries(parsed.header.map((h, i) => [h, r.fields[i] ?? ""])));
}

/** Recounts one variant's numbers from its exported rows, with the campaign's cumulative meanings. */
function recount(rows: Record<string, string>[]) {
  const count = (...states: string[]) => rows.filter((r) => states.includes(r.state!)).length;
  const delivered = count("delivered", "read", "replied");
  const read = count("read", "replied");
  const replied = count("replied");
  return {
    recipients: rows.length,
    sent: count("sent", "delivered", "read", "replied"),
    delivered,
    read,
    replied,
    failed: count("failed"),
    read_rate: delivered ? read / delivered : null,
    reply_rate: delivered ? replied / delivered : null,
  };
}

describe("results per variant", () => {
  it("three variants: per-variant counters and rates equal a recount of the CSV export, and the best reply rate is named", async () => {
    const w = await textWorld(PER_VARIANT * 3 + OUTSIDE_WINDOW, OUTSIDE_WINDOW);
    const id = await createCampaign(w, textCampaign(w, VARIANTS, { randomize_variants: false }));
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    await drive(w.admin, id, (c) => c.status === "completed", 30_000);

    // Sent, nothing delivered yet: no rates, and too little data to name a winner.
    const sentOnly = await resultsOf(w, id);
    expect(sentOnly.data.map((r) => [r.variant, r.text, r.recipients, r.sent, r.delivered, r.read_rate, r.reply_rate])).toEqual(
      VARIANTS.map((text, i) => [i + 1, text, PER_VARIANT, PER_VARIANT, 0, null, null]),
    );
    expect(sentOnly).toMatchObject({ unassigned: OUTSIDE_WINDOW, verdict: "not_enough_data", best: null, comparisons: [] });
    expect(sentOnly.note).toMatch(/^not enough data yet/);

    // Deliveries, reads, replies and failures arrive through the webhook consumer.
    const recipients = (await allRecipients(w.admin, id)) as unknown as Recipient[];
    const t = Math.floor(Date.now() / 1000);
    for (const [i, plan] of PLAN.entries()) {
      const own = recipients.filter((r) => r.variant === i);
      expect(own).toHaveLength(PER_VARIANT);
      const { statuses, messages } = planEvents(id, own, plan, t);
      for (const part of chunks(statuses, 50)) await consume(w, envelope(w, { statuses: part }));
      for (const part of chunks(messages, 50)) await consume(w, envelope(w, { messages: part }));
    }

    const results = await resultsOf(w, id);
    // The numbers the plan makes: a failed recipient is not counted as sent, one never reported stays sent.
    expect(
      results.data.map(({ variant, recipients, sent, delivered, read, replied, failed }) => ({ variant, recipients, sent, delivered, read, replied, failed })),
    ).toEqual([
      { variant: 1, recipients: 40, sent: 38, delivered: 38, read: 34, replied: 20, failed: 2 },
      { variant: 2, recipients: 40, sent: 39, delivered: 36, read: 25, replied: 6, failed: 1 },
      { variant: 3, recipients: 40, sent: 40, delivered: 35, read: 20, replied: 5, failed: 0 },
    ]);

    // The same numbers recounted from the recipients CSV, grouped by its variant column.
    const rows = await exportedRows(w, id);
    expect(rows).toHaveLength(PER_VARIANT * 3 + OUTSIDE_WINDOW);
    for (const r of results.data) {
      const { variant, text, ...numbers } = r;
      expect(numbers, `variant ${variant}`).toEqual(recount(rows.filter((row) => row.variant === String(variant))));
    }
    // The rows without a variant are the recipients skipped outside the 24 h window.
    const unassigned = rows.filter((row) => row.variant === "");
    expect(unassigned.map((row) => row.state)).toEqual(Array(OUTSIDE_WINDOW).fill("skipped"));
    expect(results.unassigned).toBe(unassigned.length);

    // Summed over the variants, the counters are the campaign's.
    const progress = (await campaignView(w.admin, id)).progress as Record<string, number>;
    const sum = (k: keyof VariantRow) => results.data.reduce((n, r) => n + (r[k] as number), 0);
    expect({ sent: sum("sent"), delivered: sum("delivered"), read: sum("read"), replied: sum("replied"), failed: sum("failed") }).toEqual({
      sent: progress.sent,
      delivered: progress.delivered,
      read: progress.read,
      replied: progress.replied,
      failed: progress.failed,
    });
    expect(sum("recipients") + results.unassigned).toBe(progress.total);

    // 20/38 against 6/36 (p ≈ 0.0012) and 5/35 (p ≈ 0.00056), each below 0.05 ÷ 2.
    expect(results.verdict).toBe("best");
    expect(results.best).toMatchObject({ variant: 1, metric: "reply_rate", versus: 2 });
    expect(results.best!.reply_rate).toBeCloseTo(20 / 38, 12);
    expect(results.best!.z).toBeCloseTo(3.239146727915588, 6);
    expect(results.best!.p_value).toBeCloseTo(0.001198878810726029, 6);
    expect(results.comparisons.map((c) => [c.variant, c.versus, c.significant])).toEqual([
      [1, 2, true],
      [1, 3, true],
    ]);
    expect(results.test).toMatchObject({ metric: "reply_rate", confidence: 0.95, min_delivered: 30, min_expected: 5 });
    expect(results.test.alpha_per_comparison).toBeCloseTo(0.025, 12);
    expect(results.note).toBe("variant 1 has the best reply rate, significant at 95 %");
  }, 60_000);

  it("the recipients CSV has a variant column: 1-based for free text, empty for a template", async () => {
    const w = await textWorld(4);
    const text = await createCampaign(w, textCampaign(w, ["Primeira", "Segunda"], { randomize_variants: false }));
    await callJson(`/api/campaigns/${text}/launch`, { json: {}, expect: 200, auth: w.admin });
    await drive(w.admin, text, (c) => c.status === "completed");
    const textRows = await exportedRows(w, text);
    expect(Object.keys(textRows[0]!)).toContain("variant");
    expect(textRows.map((r) => r.variant)).toEqual(["1", "2", "1", "2"]);

    const template = await createCampaign(w, templateCampaign(w));
    await callJson(`/api/campaigns/${template}/launch`, { json: {}, expect: 200, auth: w.admin });
    await drive(w.admin, template, (c) => c.status === "completed");
    const templateRows = await exportedRows(w, template);
    expect(templateRows.map((r) => [r.state, r.variant])).toEqual(Array(4).fill(["sent", ""]));
    // The recipients listing agrees: a template recipient has no variant.
    expect((await allRecipients(w.admin, template)).map((r) => (r as unknown as Recipient).variant)).toEqual([null, null, null, null]);
    // And a template campaign has no results per variant: all of its recipients are unassigned.
    expect(await resultsOf(w, template)).toMatchObject({ data: [], unassigned: 4, verdict: "not_applicable", best: null, comparisons: [] });
  });

  it("a draft shows its variants with zero counts; another workspace's campaign is not found", async () => {
    const w = await world(2);
    const id = await createCampaign(w, textCampaign(w, ["Uma", "Outra"]));
    const draft = await resultsOf(w, id);
    expect(draft.data).toEqual([
      { variant: 1, text: "Uma", recipients: 0, sent: 0, delivered: 0, read: 0, replied: 0, failed: 0, read_rate: null, reply_rate: null },
      { variant: 2, text: "Outra", recipients: 0, sent: 0, delivered: 0, read: 0, replied: 0, failed: 0, read_rate: null, reply_rate: null },
    ]);
    expect(draft).toMatchObject({ unassigned: 0, verdict: "not_enough_data", best: null });
    const single = await createCampaign(w, textCampaign(w, ["Só uma"]));
    expect((await resultsOf(w, single)).verdict).toBe("not_applicable");

    const stranger = await seedWorkspace();
    const answer = async (path: string, auth?: World["admin"]) => {
      const res = await call(path, auth ? { auth } : {});
      return [res.status, await errorCode(res)];
    };
    expect(await answer(`/api/campaigns/${id}/variants`, stranger)).toEqual([404, "not_found"]);
    expect(await answer(`/api/campaigns/${id}/variants`)).toEqual([401, "unauthorized"]);
    expect(await answer("/api/campaigns/abc/variants", w.admin)).toEqual([400, "validation_failed"]);
  });
});
