import { t, tn } from "../i18n";
import { cardDate, countryWithMarket, formatMoney } from "../lib/cost";
import { formatNumber } from "../lib/format";
import type { CostEstimate } from "../types";
import { Notice } from "./controls";
import { DataTable } from "./data-table";

/** Where the amounts come from: the card's date, the workspace's own rates. */
export function RateCardNote({ card }: { card: { effective_date: string; source: string } }) {
  return (
    <p class="hint" title={card.source}>
      {t("cost.source", { date: cardDate(card.effective_date) })}
    </p>
  );
}

/** A rate per message, or the words for a rate nobody set. */
export const rateText = (rate: string | null) => (rate === null ? t("cost.noRate") : formatMoney(rate));

/** What launching would cost: the total, billed and free recipients, a line per country (`freeText`: the campaign sends free text). */
export function CostEstimateView({ estimate, freeText }: { estimate: CostEstimate; freeText: boolean }) {
  return (
    <section class="cost-estimate" aria-labelledby="cost-estimate-heading" data-cost-estimate>
      <h4 id="cost-estimate-heading">{t("cost.estimate.heading")}</h4>
      <p class="cost-total">
        <span class="muted">{t("cost.estimate.total")}</span> <strong data-cost-total>{formatMoney(estimate.total)}</strong>
      </p>
      {freeText ? (
        <p>{t("cost.estimate.freeText")}</p>
      ) : (
        <ul class="plain-list">
          <li>{tn("cost.estimate.billable", estimate.billable)}</li>
          {estimate.free > 0 && <li>{tn("cost.estimate.free", estimate.free)}</li>}
        </ul>
      )}
      {!freeText && estimate.category === null && estimate.billable > 0 && (
        <Notice tone="warning" data-notice="cost-unknown-category">
          <p>{t("cost.estimate.unknownCategory")}</p>
        </Notice>
      )}
      {estimate.unknown_rate > 0 && estimate.category !== null && (
        <Notice tone="warning" data-notice="cost-unknown-rate">
          <p>{tn("cost.estimate.unknown", estimate.unknown_rate)}</p>
        </Notice>
      )}
      {!freeText && estimate.lines.length > 0 && (
        <DataTable
          label={t("cost.estimate.linesLabel")}
          data="cost-lines"
          rows={estimate.lines}
          rowKey={(l) => String(l.country)}
          rowData={(l) => ({ country: l.country ?? "" })}
          columns={[
            { label: t("cost.col.country"), cell: (l) => countryWithMarket(l.country, l.market) },
            { label: t("cost.col.recipients"), numeric: true, cell: (l) => formatNumber(l.recipients) },
            { label: t("cost.col.billable"), numeric: true, cell: (l) => formatNumber(l.billable) },
            { label: t("cost.col.rate"), numeric: true, cell: (l) => rateText(l.rate) },
            { label: t("cost.col.subtotal"), numeric: true, cell: (l) => (l.subtotal === null ? "–" : formatMoney(l.subtotal)) },
          ]}
        />
      )}
      <RateCardNote card={estimate.rate_card} />
    </section>
  );
}
