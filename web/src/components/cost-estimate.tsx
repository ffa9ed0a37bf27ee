import { t, tn } from "../i18n";
import { cardDate, countryWithMarket, formatMoney } from "../lib/cost";
import { formatNumber } from "../lib/format";
import type { CostEstimate } from "../types";
import { Notice } from "./controls";

/** Where the amounts come from: the card's date, the workspace's own rates. */
export function RateCardNote({ card }: { card: { effective_date: string; source: string } }) {
  return (
    <p class="hint" title={card.source}>
      {t("cost.source", { date: cardDate(card.effective_date) })}
    </p>
  );
}

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
        <div class="table-scroll" tabIndex={0} role="region" aria-label={t("cost.estimate.linesLabel")}>
          <table class="table" data-cost-lines>
            <thead>
              <tr>
                <th scope="col">{t("cost.col.country")}</th>
                <th scope="col" class="num">
                  {t("cost.col.recipients")}
                </th>
                <th scope="col" class="num">
                  {t("cost.col.billable")}
                </th>
                <th scope="col" class="num">
                  {t("cost.col.rate")}
                </th>
                <th scope="col" class="num">
                  {t("cost.col.subtotal")}
                </th>
              </tr>
            </thead>
            <tbody>
              {estimate.lines.map((l) => (
                <tr key={String(l.country)} data-country={l.country ?? ""}>
                  <td>{countryWithMarket(l.country, l.market)}</td>
                  <td class="num">{formatNumber(l.recipients)}</td>
                  <td class="num">{formatNumber(l.billable)}</td>
                  <td class="num">{l.rate === null ? t("cost.noRate") : formatMoney(l.rate)}</td>
                  <td class="num">{l.subtotal === null ? "–" : formatMoney(l.subtotal)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <RateCardNote card={estimate.rate_card} />
    </section>
  );
}
