#!/usr/bin/env node
// Campaign list at scale: a workspace with BENCH_CAMPAIGNS campaigns (default 1,000, a tenth of
// them launched and completed), then the list the web app asks for — the first page, a later
// page, a status filter and a title search — each timed over 20 requests.
import { client, importContacts, quantile, runBench, sandboxInbox, templateCampaign, waitFor } from "./lib.mjs";

const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 1000);
const PAGE = 25;
const TARGET_P95_MS = 100;
const results = [];
const check = (name, ok, detail) => results.push({ name, ok, detail });

await runBench("campaign-list", results, async (server) => {
  const h = client(server.url);
  await h.setup();
  const inbox = await sandboxInbox(h, { scenario: { pair_rate_limit_ms: 0, webhooks_enabled: false } });
  const labels = await importContacts(h, ["List"], 20);
  const first = await templateCampaign(h, { title: "Launched 0", inboxId: inbox.id, labelId: labels.List, settings: { min_delay_s: 0, max_delay_s: 0 } });

  const started = Date.now();
  const launched = [];
  for (let i = 1; i < CAMPAIGNS; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, CAMPAIGNS - i) }, async (_, k) => {
        const copy = await h.api("POST", `/api/campaigns/${first.id}/duplicate`);
        const n = i + k;
        await h.api("PATCH", `/api/campaigns/${copy.id}`, { json: { title: `${n % 10 === 0 ? "Launched" : "Draft"} ${n}` } });
        if (n % 10 === 0) launched.push(copy.id);
      }),
    );
  }
  for (const id of [first.id, ...launched]) await h.api("POST", `/api/campaigns/${id}/launch`, { json: {} });
  for (const id of [first.id, ...launched]) await waitFor(h, id);
  console.log(`${CAMPAIGNS} campaigns (${launched.length + 1} completed) made in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const second = (await h.api("GET", `/api/campaigns?limit=${PAGE}`)).next_cursor;
  const queries = {
    "first page": `/api/campaigns?limit=${PAGE}`,
    "second page": `/api/campaigns?limit=${PAGE}&cursor=${second}`,
    "status=completed": `/api/campaigns?limit=${PAGE}&status=completed`,
    "q=launched 9": `/api/campaigns?limit=${PAGE}&q=${encodeURIComponent("launched 9")}`,
  };
  console.log(`\nGET, ${PAGE} a page, 20 requests each (ms):`);
  for (const [name, path] of Object.entries(queries)) {
    const times = [];
    let rows = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      rows = (await h.api("GET", path)).data.length;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const p95 = quantile(times, 0.95);
    console.log(`  ${name.padEnd(18)} p50 ${quantile(times, 0.5).toFixed(1).padStart(6)}  p95 ${p95.toFixed(1).padStart(6)}  rows ${rows}`);
    check(`${name}: p95 under ${TARGET_P95_MS} ms`, p95 < TARGET_P95_MS, `${p95.toFixed(1)} ms`);
  }
});
