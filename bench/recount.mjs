#!/usr/bin/env node
// Recount check: sends a 1,000-recipient campaign through the sandbox with its default realistic
// scenario (status webhooks with delays, some failures, unread messages, replies and STOPs), waits
// until every webhook has been delivered and applied, then compares the campaign's counters with a
// recount of its recipients' states and with what the sandbox itself reported.
import { campaignRecipients, client, importContacts, runBench, sandboxInbox, sleep, templateCampaign, waitFor } from "./lib.mjs";

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 1000);
const RANK = { sent: 1, failed: 2, delivered: 3, read: 4 };
const results = [];
const check = (name, ok, detail) => results.push({ name, ok, detail });

await runBench("recount", results, async (server) => {
  const h = client(server.url);
  await h.setup();
  const inbox = await sandboxInbox(h, { scenario: { pair_rate_limit_ms: 0, webhooks_enabled: true } });
  const labels = await importContacts(h, ["Recount"], RECIPIENTS);
  const { id } = await templateCampaign(h, {
    title: "Recount",
    inboxId: inbox.id,
    labelId: labels.Recount,
    settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 1000 },
  });
  await h.api("POST", `/api/campaigns/${id}/launch`, { json: {} });
  await waitFor(h, id);

  // Wait until the sandbox has nothing left to deliver and the counters stop moving.
  let last = "";
  for (let stable = 0; stable < 6; ) {
    await sleep(1000);
    const stats = await h.api("GET", `/api/sandbox/inboxes/${inbox.id}/stats`);
    const now = JSON.stringify((await h.api("GET", `/api/campaigns/${id}`)).progress);
    stable = stats.pending_webhooks === 0 && now === last ? stable + 1 : 0;
    last = now;
  }
  const progress = (await h.api("GET", `/api/campaigns/${id}`)).progress;
  const recipients = await campaignRecipients(h, id);

  // What the sandbox reported, from its own record of delivered envelopes.
  const reported = new Map();
  const replied = new Set();
  let afterId = 0;
  for (;;) {
    const page = (await h.api("GET", `/api/sandbox/inboxes/${inbox.id}/webhooks?limit=1000&after_id=${afterId}`)).data;
    if (page.length === 0) break;
    for (const envelope of page) {
      afterId = Math.max(afterId, envelope.id);
      if (envelope.state !== "delivered") continue;
      for (const entry of JSON.parse(envelope.body).entry) {
        for (const change of entry.changes) {
          for (const s of change.value.statuses ?? []) if ((RANK[s.status] ?? 0) > (RANK[reported.get(s.id)] ?? 0)) reported.set(s.id, s.status);
          for (const m of change.value.messages ?? []) replied.add(m.context?.id ?? `from:${m.from}`);
        }
      }
    }
  }

  const byState = {};
  for (const r of recipients) byState[r.state] = (byState[r.state] ?? 0) + 1;
  const s = (k) => byState[k] ?? 0;
  const recount = {
    total: recipients.length,
    sent: s("sent") + s("delivered") + s("read") + s("replied"),
    delivered: s("delivered") + s("read") + s("replied"),
    read: s("read") + s("replied"),
    replied: s("replied"),
    failed: s("failed"),
    pending: s("pending") + s("released") + s("sending"),
  };
  const expected = (r) => {
    if (replied.has(r.wamid) || replied.has(`from:${r.phone.slice(1)}`)) return "replied";
    return reported.get(r.wamid) ?? "sent";
  };
  const mismatches = recipients.filter((r) => expected(r) !== r.state);

  console.log(`\n${RECIPIENTS} recipients; counters ${JSON.stringify(progress)}`);
  console.log(`recount from recipient states: ${JSON.stringify(recount)}`);
  console.log(`sandbox reported: ${reported.size} messages with statuses, ${replied.size} replies or opt-outs`);
  console.log(`recipients whose state differs from what the sandbox reported: ${mismatches.length}`);
  for (const m of mismatches.slice(0, 5)) console.log(`  ${m.phone}: ${m.state}, sandbox says ${expected(m)}`);
  check(
    "counters equal the recount of recipient states",
    Object.entries(recount).every(([k, v]) => progress[k] === v),
    "",
  );
  check("every recipient's state matches what the sandbox reported", mismatches.length === 0, `${mismatches.length} differ`);
  check("the states add up to the audience", recipients.length === RECIPIENTS && progress.total === RECIPIENTS, `${recipients.length}`);
});
