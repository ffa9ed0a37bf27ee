import { useEffect, useState } from "preact/hooks";
import { api, messageOf } from "../api";
import { useRefreshVersion } from "../hooks/use-refresh-version";
import { locale, t } from "../i18n";
import { formatNumber } from "../lib/format";
import { noticeSessionEnd } from "../state/session";
import type { CampaignDetail, VariantResults } from "../types";
import { counterLabel } from "./campaign-progress";
import { FormError } from "./form-error";

/** The results refresh at most this often while progress arrives. */
const REFRESH_MS = 5_000;
/** Characters of a variant's text shown in its row (the whole text is its tooltip). */
const EXCERPT_CHARS = 60;
const COUNTERS = ["sent", "delivered", "read", "replied", "failed"] as const;

type Row = VariantResults["data"][number];

/** True for a free-text campaign with more than one wording variant to compare. */
export const hasVariants = (c: Pick<CampaignDetail, "content">) => c.content.type === "text" && c.content.variants.length > 1;

/** A rate as a percentage with one decimal ("52.6%" / "52,6 %"), or "–" without a denominator. */
const formatRate = (r: number | null) =>
  r === null ? "–" : new Intl.NumberFormat(locale.value, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(r);

/** "p = 0.0012" (two significant digits), or "p < 0.001". */
const formatP = (p: number) =>
  p < 0.001
    ? `p < ${new Intl.NumberFormat(locale.value).format(0.001)}`
    : `p = ${new Intl.NumberFormat(locale.value, { maximumSignificantDigits: 2 }).format(p)}`;

/** The start of a variant's text, cut at a word when it is long. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= EXCERPT_CHARS) return flat;
  const cut = flat.slice(0, EXCERPT_CHARS);
  const space = cut.lastIndexOf(" ");
  return `${(space > EXCERPT_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function Verdict({ results }: { results: VariantResults }) {
  const confidence = new Intl.NumberFormat(locale.value, { style: "percent" }).format(results.test.confidence);
  const { best } = results;
  let text: string;
  if (results.verdict === "best" && best) {
    text = t("variants.verdict.best", { n: best.variant, confidence, p: formatP(best.p_value), versus: best.versus });
  } else if (results.verdict === "no_significant_difference") {
    text = t("variants.verdict.noDifference", { n: results.comparisons[0]?.variant ?? 1, confidence });
  } else {
    text = t("variants.verdict.notEnoughData", { min: results.test.min_delivered });
  }
  return (
    <p class="variant-verdict" data-verdict={results.verdict}>
      {text}
    </p>
  );
}

function VariantRow({ row, best, confidence }: { row: Row; best: boolean; confidence: number }) {
  return (
    <tr data-variant={row.variant} class={best ? "variant-best" : undefined}>
      <th scope="row">
        <span class="variant-name">{t("variants.number", { n: row.variant })}</span>
        {best && (
          <span class="variant-badge">
            <span class="badge badge-best" data-best>
              {t("variants.best")}
            </span>{" "}
            <span class="hint">{t("variants.significant", { confidence: new Intl.NumberFormat(locale.value, { style: "percent" }).format(confidence) })}</span>
          </span>
        )}
        <span class="variant-excerpt" title={row.text}>
          {excerpt(row.text)}
        </span>
      </th>
      <td class="num" data-cell="recipients">
        {formatNumber(row.recipients)}
      </td>
      {COUNTERS.map((k) => (
        <td key={k} class="num" data-cell={k}>
          {formatNumber(row[k])}
        </td>
      ))}
      <td class="num" data-cell="read_rate">
        {formatRate(row.read_rate)}
      </td>
      <td class="num" data-cell="reply_rate">
        {formatRate(row.reply_rate)}
      </td>
    </tr>
  );
}

/**
 * "Results by variant" of a free-text campaign: each variant's counters and rates, the best reply
 * rate marked when the server's test finds it significant. Refreshes (at most every few
 * seconds) as the campaign's live progress changes.
 */
export function VariantResultsSection({ campaign }: { campaign: CampaignDetail }) {
  const [results, setResults] = useState<VariantResults | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = useRefreshVersion(campaign.progress, REFRESH_MS);

  useEffect(() => {
    let stale = false;
    api
      .get<VariantResults>(`/api/campaigns/${campaign.id}/variants`)
      .then((r) => {
        if (stale) return;
        setResults(r);
        setError(null);
      })
      .catch((e) => {
        noticeSessionEnd(e);
        if (!stale) setError(t("variants.loadFailed", { message: messageOf(e) }));
      });
    return () => {
      stale = true;
    };
  }, [campaign.id, version]);

  const best = results?.verdict === "best" ? results.best?.variant : undefined;
  return (
    <section aria-labelledby="variants-heading" data-variant-results>
      <h2 id="variants-heading">{t("variants.heading")}</h2>
      <FormError message={error} />
      {results === null ? (
        !error && <p class="muted">{t("variants.loading")}</p>
      ) : (
        <>
          <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="variants-heading">
            <table class="table variant-table">
              <caption class="visually-hidden">{t("variants.caption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("variants.variant")}</th>
                  <th scope="col" class="num">
                    {t("variants.recipients")}
                  </th>
                  {COUNTERS.map((k) => (
                    <th key={k} scope="col" class="num">
                      {counterLabel(k)}
                    </th>
                  ))}
                  <th scope="col" class="num">
                    {t("variants.readRate")}
                  </th>
                  <th scope="col" class="num">
                    {t("variants.replyRate")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {results.data.map((row) => (
                  <VariantRow key={row.variant} row={row} best={row.variant === best} confidence={results.test.confidence} />
                ))}
              </tbody>
            </table>
          </div>
          <Verdict results={results} />
          <p class="hint">{t("variants.rates")}</p>
        </>
      )}
    </section>
  );
}
