import { useEffect, useRef, useState } from "preact/hooks";
import { api, messageOf } from "../api";
import { t, tn } from "../i18n";
import { categoryName, countryWithMarket, formatMoney } from "../lib/cost";
import { formatNumber } from "../lib/format";
import { noticeSessionEnd } from "../state/session";
import type { CampaignCost, CampaignDetail } from "../types";
import { Notice } from "./controls";
import { RateCardNote } from "./cost-estimate";

/** The cost is fetched again at most this often while progress arrives. */
const REFRESH_MS = 5_000;

function ByVariant({ cost }: { cost: CampaignCost }) {
  if (cost.by_variant.length < 2) return null;
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={t("cost.panel.byVariant")}>
      <table class="table" data-cost-variants>
        <caption class="visually-hidden">{t("cost.panel.byVariant")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("cost.col.variant")}</th>
            <th scope="col" class="num">
              {t("cost.col.billable")}
            </th>
            <th scope="col" class="num">
              {t("cost.col.free")}
            </th>
            <th scope="col" class="num">
              {t("cost.col.cost")}
            </th>
          </tr>
        </thead>
        <tbody>
          {cost.by_variant.map((v) => (
            <tr key={v.variant} data-variant={v.variant}>
              <td>{t("cost.panel.variant", { n: v.variant + 1 })}</td>
              <td class="num">{formatNumber(v.billable)}</td>
              <td class="num">{formatNumber(v.free)}</td>
              <td class="num">{formatMoney(v.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ByCountry({ cost }: { cost: CampaignCost }) {
  if (cost.by_country.length === 0) return null;
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={t("cost.panel.byCountry")}>
      <table class="table" data-cost-countries>
        <caption class="visually-hidden">{t("cost.panel.byCountry")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("cost.col.country")}</th>
            <th scope="col">{t("cost.col.category")}</th>
            <th scope="col" class="num">
              {t("cost.col.billable")}
            </th>
            <th scope="col" class="num">
              {t("cost.col.free")}
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
          {cost.by_country.map((l) => (
            <tr key={`${l.country}:${l.category}`} data-country={l.country ?? ""}>
              <td>{countryWithMarket(l.country, l.market)}</td>
              <td>{categoryName(l.category)}</td>
              <td class="num">{formatNumber(l.billable)}</td>
              <td class="num">{formatNumber(l.free)}</td>
              <td class="num">{l.billable === 0 ? "–" : l.rate === null ? t("cost.noRate") : formatMoney(l.rate)}</td>
              <td class="num">{l.subtotal === null ? "–" : formatMoney(l.subtotal)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The campaign's cost so far (delivered messages WhatsApp bills, at the rates in force) and the
 * estimate taken at launch; fetched again as the campaign's progress changes.
 */
export function CampaignCostPanel({ campaign }: { campaign: CampaignDetail }) {
  const [cost, setCost] = useState<CampaignCost | null>(null);
  const [error, setError] = useState<string | null>(null);
  const last = useRef(0);
  const launched = campaign.status !== "draft" && campaign.status !== "scheduled";

  useEffect(() => {
    if (!launched) return;
    let stale = false;
    const wait = Math.max(0, last.current + REFRESH_MS - Date.now());
    const timer = setTimeout(() => {
      last.current = Date.now();
      api
        .get<CampaignCost>(`/api/campaigns/${campaign.id}/cost`)
        .then((c) => {
          if (stale) return;
          setCost(c);
          setError(null);
        })
        .catch((e) => {
          noticeSessionEnd(e);
          if (!stale) setError(messageOf(e));
        });
    }, wait);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [campaign.id, launched, campaign.progress]);

  const delivered = cost ? cost.billable + cost.free + cost.no_pricing : 0;
  return (
    <section aria-labelledby="cost-heading" class="panel" data-cost-panel>
      <h2 id="cost-heading">{t("cost.panel.heading")}</h2>
      {!launched ? (
        <p class="muted">{t("cost.panel.notLaunched")}</p>
      ) : error && !cost ? (
        <p class="field-error">{t("cost.panel.loadFailed", { message: error })}</p>
      ) : !cost ? (
        <p class="muted">{t("cost.panel.loading")}</p>
      ) : (
        <>
          <dl class="counters cost-figures">
            <div>
              <dt>{t("cost.panel.soFar")}</dt>
              <dd data-cost-total>{formatMoney(cost.total)}</dd>
            </div>
            {cost.estimate && (
              <div>
                <dt>{t("cost.panel.atLaunch")}</dt>
                <dd data-cost-estimate>{formatMoney(cost.estimate.total)}</dd>
              </div>
            )}
          </dl>
          {delivered === 0 ? (
            <p class="muted">{t("cost.panel.nothingYet")}</p>
          ) : (
            <ul class="plain-list">
              <li>{tn("cost.panel.billable", cost.billable)}</li>
              {cost.free > 0 && <li>{tn("cost.panel.free", cost.free)}</li>}
            </ul>
          )}
          {cost.unknown_rate > 0 && (
            <Notice tone="warning" data-notice="cost-unknown-rate">
              <p>{tn("cost.panel.unknown", cost.unknown_rate)}</p>
            </Notice>
          )}
          {cost.no_pricing > 0 && <p class="hint">{tn("cost.panel.noPricing", cost.no_pricing)}</p>}
          <ByVariant cost={cost} />
          <ByCountry cost={cost} />
          <RateCardNote card={cost.rate_card} />
        </>
      )}
    </section>
  );
}
