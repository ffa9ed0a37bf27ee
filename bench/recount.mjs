#!/usr/bin/env node
// Recount check: sends a 1,000-recipient campaign through the sandbox with its default realistic
// scenario (status webhooks with delays, some failures, unread messages, replies and STOPs), waits
// until every webhook has been delivered and applied, then compares the campaign's counters with a
// recount of its recipients' states and with what the sandbox itself reported.
import {
  campaignRecipients,
  client,
  importContacts,
  recountStates,
  reportedState,
  runBench,
  sandboxInbox,
  sandboxReported,
  templateCampaign,
  waitFor,
  waitUntilSettled,
} from "./lib.mjs";

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 1000);
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
  const progress = (await waitUntilSettled(h, inbox.id, [id]))[id];
  const recipients = await campaignRecipients(h, id);

  // What the sandbox reported, from its own record of delivered envelopes.
  const truth = await sandboxReported(h, inbox.id);
  const { reported, replied } = truth;
  const recount = recountStates(recipients);
  const expected = (r) => reportedState(truth, r);
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
