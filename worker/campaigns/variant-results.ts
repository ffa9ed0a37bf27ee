/**
 * A free-text campaign's results per wording variant: the campaign's own cumulative counters
 * (`progressView`) computed over the recipients of each variant, their read and reply rates, and
 * whether one variant's reply rate is significantly the best (`domain/variant-stats`).
 */
import type { CampaignContent } from "../domain/campaign-settings";
import { compareReplyRates, REPLY_RATE_TEST, type ReplyRateVerdict } from "../domain/variant-stats";
import type { VariantResultsView } from "../views/campaign";
import { progressView } from "./progress";
import type { VariantStateCount } from "./sender/store";

type VariantRow = VariantResultsView["data"][number];

/** `n` ÷ `of`, or null when there is nothing to divide by. */
const rate = (n: number, of: number): number | null => (of > 0 ? n / of : null);

/** The counters of one variant from its recipients' states. */
function variantRow(index: number, text: string, states: Record<string, number>): VariantRow {
  const recipients = Object.values(states).reduce((a, b) => a + b, 0);
  const { sent, delivered, read, replied, failed } = progressView(recipients, states);
  return {
    variant: index + 1,
    text,
    recipients,
    sent,
    delivered,
    read,
    replied,
    failed,
    read_rate: rate(read, delivered),
    reply_rate: rate(replied, delivered),
  };
}

/** The best variant, with its weakest comparison (the largest p-value), when the verdict names one. */
function bestOf(rows: VariantRow[], verdict: ReplyRateVerdict): VariantResultsView["best"] {
  if (verdict.verdict !== "best" || verdict.leader === null) return null;
  const weakest = verdict.comparisons.reduce((a, b) => (b.pValue > a.pValue ? b : a));
  return {
    variant: verdict.leader + 1,
    metric: "reply_rate",
    reply_rate: rows[verdict.leader]!.reply_rate ?? 0,
    versus: weakest.other + 1,
    z: weakest.z,
    p_value: weakest.pValue,
  };
}

const testView = (verdict: ReplyRateVerdict): VariantResultsView["test"] => ({
  name: REPLY_RATE_TEST.name,
  metric: "reply_rate",
  confidence: REPLY_RATE_TEST.confidence,
  alpha_per_comparison: verdict.alphaPerComparison,
  min_delivered: REPLY_RATE_TEST.minDelivered,
  min_expected: REPLY_RATE_TEST.minExpected,
});

/**
 * The results per variant of a campaign with `content`, from its recipients counted per variant
 * and state (none before launch). A template campaign has no wording variants: no rows, and every
 * recipient is `unassigned`.
 *
 * @example
 * variantResults({ type: "text", variants: ["Hi", "Hello"] }, [{ variant: 0, state: "read", n: 3 }, { variant: null, state: "skipped", n: 2 }]);
 * // { data: [{ variant: 1, text: "Hi", recipients: 3, sent: 3, delivered: 3, read: 3, …, read_rate: 1, reply_rate: 0 },
 * //          { variant: 2, text: "Hello", recipients: 0, …, read_rate: null, reply_rate: null }],
 * //   unassigned: 2, verdict: "not_enough_data", best: null, … }
 */
export function variantResults(content: CampaignContent, counts: readonly VariantStateCount[]): VariantResultsView {
  const variants = content.type === "text" ? content.variants : [];
  const states = variants.map((): Record<string, number> => ({}));
  let unassigned = 0;
  for (const c of counts) {
    const own = c.variant === null ? undefined : states[c.variant];
    if (own) own[c.state] = (own[c.state] ?? 0) + c.n;
    else unassigned += c.n;
  }
  const data = variants.map((text, i) => variantRow(i, text, states[i]!));
  const verdict: ReplyRateVerdict =
    content.type === "text"
      ? compareReplyRates(data.map((r) => ({ replied: r.replied, delivered: r.delivered })))
      : { verdict: "not_applicable", leader: null, comparisons: [], alphaPerComparison: null, note: "a template campaign has no wording variants" };
  return {
    data,
    unassigned,
    verdict: verdict.verdict,
    best: bestOf(data, verdict),
    comparisons: verdict.comparisons.map((c) => ({ variant: c.leader + 1, versus: c.other + 1, z: c.z, p_value: c.pValue, significant: c.significant })),
    test: testView(verdict),
    note: verdict.note,
  };
}
