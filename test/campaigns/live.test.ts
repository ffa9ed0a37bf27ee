import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Account, call, callJson, errorCode, ORIGIN, seedWorkspace } from "../helpers";
import { allRecipients, campaignView, createCampaign, drive, senderOf, sleep, templateCampaign, world } from "./world";

type LiveMessage = { type: "progress"; status: string; reason: string | null; total: number; states: Record<string, number>; progress: Record<string, number> };

/** Opens the campaign's live socket as a signed-in browser would; collects what it receives. */
async function connect(admin: Account, campaignId: number) {
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}/api/campaigns/${campaignId}/live`, { headers: { upgrade: "websocket", cookie: admin.cookie! } }),
  );
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  expect(ws).toBeTruthy();
  const messages: LiveMessage[] = [];
  const texts: string[] = [];
  const times: number[] = [];
  ws.addEventListener("message", (e) => {
    const data = e.data as string;
    texts.push(data);
    if (data.startsWith("{")) {
      messages.push(JSON.parse(data) as LiveMessage);
      times.push(Date.now());
    }
  });
  ws.accept();
  return { ws, messages, texts, times };
}

async function until(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(20);
  return check();
}

describe("live progress over a WebSocket", () => {
  it("sends the current progress on connect, then changes up to completion", async () => {
    const w = await world(4);
    const id = await createCampaign(w, templateCampaign(w));
    const live = await connect(w.admin, id);
    expect(await until(() => live.messages.length >= 1)).toBe(true);
    expect(live.messages[0]).toMatchObject({ type: "progress", status: "draft", total: 0 });

    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.status).toBe("completed");
    expect(await until(() => live.messages.some((m) => m.status === "completed"))).toBe(true);
    const last = live.messages.at(-1)!;
    expect(last.status).toBe("completed");
    expect(last.total).toBe(4);
    expect(last.states.sent).toBe(4);
    // The same cumulative view the API gives.
    expect(last.progress).toEqual(done.progress);
    expect(last.progress).toMatchObject({ total: 4, sent: 4, pending: 0, failed: 0 });
    live.ws.close();
  });

  it("a socket opened later starts from the current progress; ping gets pong", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    const live = await connect(w.admin, id);
    expect(await until(() => live.messages.length >= 1)).toBe(true);
    expect(live.messages[0]).toMatchObject({ type: "progress", status: "completed", reason: null, total: 2 });
    expect(live.messages[0]!.progress).toEqual(done.progress);
    live.ws.send("ping");
    expect(await until(() => live.texts.includes("pong"))).toBe(true);
    live.ws.close();
  });

  it("coalesces bursts of changes: at most ~4 messages a second, the latest state wins", async () => {
    const w = await world(6);
    const id = await createCampaign(w, templateCampaign(w));
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    await drive(w.admin, id, (c) => c.status === "completed");
    const recipients = await allRecipients(w.admin, id);
    const live = await connect(w.admin, id);
    expect(await until(() => live.messages.length >= 1)).toBe(true);
    const startedAt = Date.now();
    const stub = senderOf(id);
    const t = Math.floor(Date.now() / 1000);
    // 12 separate changes in quick succession: delivered, then read, for each recipient.
    for (const status of ["delivered", "read"] as const) {
      for (const r of recipients) await stub.applyStatuses([{ recipientId: r.id, wamid: r.wamid!, status, timestamp: t }]);
    }
    const elapsed = Date.now() - startedAt;
    expect(await until(() => live.messages.at(-1)?.progress.read === 6)).toBe(true);
    await sleep(400);
    const updates = live.messages.length - 1;
    expect(updates).toBeGreaterThanOrEqual(1);
    expect(updates).toBeLessThanOrEqual(Math.ceil((elapsed + 300) / 250) + 1);
    expect(updates).toBeLessThan(12);
    // Never two messages closer than the throttle allows (small timer slack).
    for (let i = 2; i < live.times.length; i++) expect(live.times[i]! - live.times[i - 1]!).toBeGreaterThanOrEqual(200);
    expect(live.messages.at(-1)!.progress).toEqual((await campaignView(w.admin, id)).progress);
    live.ws.close();
  });

  it("a pause reaches the socket at once with its reason", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 30, max_delay_s: 30 }));
    await callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    const live = await connect(w.admin, id);
    expect(await until(() => live.messages.length >= 1)).toBe(true);
    expect(live.messages[0]!.status).toBe("sending");
    await callJson(`/api/campaigns/${id}/pause`, { method: "POST", expect: 200, auth: w.admin });
    expect(await until(() => live.messages.some((m) => m.status === "paused"))).toBe(true);
    expect(live.messages.at(-1)).toMatchObject({ status: "paused", reason: "paused by an operator", total: 3 });
    live.ws.close();
  });

  it("before launch: scheduling, unscheduling and cancelling reach the socket at once", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    const live = await connect(w.admin, id);
    expect(await until(() => live.messages.length >= 1)).toBe(true);
    expect(live.messages[0]).toMatchObject({ status: "draft", total: 0 });
    // A wall time in UTC a day ahead.
    const schedule = { at: new Date(Date.now() + 86_400_000).toISOString().slice(0, 16), timezone: "UTC" };
    const steps: [string, unknown, string][] = [
      ["launch", { schedule }, "scheduled"],
      ["unschedule", undefined, "draft"],
      ["launch", { schedule }, "scheduled"],
      ["cancel", undefined, "cancelled"],
    ];
    for (const [action, json, status] of steps) {
      const seen = live.messages.length;
      const view = await callJson<{ status: string }>(`/api/campaigns/${id}/${action}`, {
        method: "POST",
        ...(json ? { json } : {}),
        expect: 200,
        auth: w.admin,
      });
      expect(view.status).toBe(status);
      expect(await until(() => live.messages.length > seen), `${action} → ${status}`).toBe(true);
      expect(live.messages.at(-1)).toMatchObject({ type: "progress", status, total: 0 });
    }
    live.ws.close();
  });

  it("needs credentials, the campaign's workspace, and an Upgrade header", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const anonymous = await exports.default.fetch(new Request(`${ORIGIN}/api/campaigns/${id}/live`, { headers: { upgrade: "websocket" } }));
    expect(anonymous.status).toBe(401);
    expect(await errorCode(anonymous)).toBe("unauthorized");

    const stranger = await seedWorkspace();
    const other = await exports.default.fetch(
      new Request(`${ORIGIN}/api/campaigns/${id}/live`, { headers: { upgrade: "websocket", cookie: stranger.cookie! } }),
    );
    expect(other.status).toBe(404);
    expect(await errorCode(other)).toBe("not_found");

    // A page of another origin cannot open the socket on the user's cookie; the app's own origin can.
    const socket = (origin: string) =>
      exports.default.fetch(new Request(`${ORIGIN}/api/campaigns/${id}/live`, { headers: { upgrade: "websocket", cookie: w.admin.cookie!, origin } }));
    const foreign = await socket("https://evil.example");
    expect(foreign.status).toBe(403);
    expect(await errorCode(foreign)).toBe("csrf_rejected");
    const own = await socket(ORIGIN);
    expect(own.status).toBe(101);
    own.webSocket!.accept();
    own.webSocket!.close();

    const plain = await call(`/api/campaigns/${id}/live`, { auth: w.admin });
    expect(plain.status).toBe(426);
    expect(plain.headers.get("upgrade")).toBe("websocket");
    expect(await errorCode(plain)).toBe("upgrade_required");
  });
});
