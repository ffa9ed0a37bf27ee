import { describe, expect, it } from "vitest";
import { call, callJson } from "../helpers";
import { createCampaign, drive, expectAllFinal, expectAtMostOnce, templateCampaign, world } from "./world";

describe("campaign engine", () => {
  it("sends a template campaign to every recipient exactly once and completes", async () => {
    const w = await world(12);
    const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 0, max_delay_s: 0 }));
    const launched = await callJson<any>(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
    expect(launched.status).toBe("sending");
    expect(launched.progress.total).toBe(12);
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.progress).toMatchObject({ total: 12, sent: 12, pending: 0, failed: 0 });
    expect([...(await expectAtMostOnce(w)).values()]).toEqual(Array(12).fill(1));
    await expectAllFinal(w, id, 12);
  });

  it("a draft's settings change field by field and are checked as a whole", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 2, max_delay_s: 4, batch_size: 10 }));
    const patched = await callJson<any>(`/api/campaigns/${id}`, { method: "PATCH", json: { settings: { batch_size: 20 } }, auth: w.admin });
    expect(patched.settings).toMatchObject({ min_delay_s: 2, max_delay_s: 4, batch_size: 20 });
    const bad = await call(`/api/campaigns/${id}`, { method: "PATCH", json: { settings: { min_delay_s: 5 } }, auth: w.admin });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.details[0].path).toBe("settings.max_delay_s");
  });
});
