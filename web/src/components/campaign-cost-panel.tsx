import { useEffect, useState } from "preact/hooks";
import { api, messageOf } from "../api";
import { useRefreshVersion } from "../hooks/use-refresh-version";
import { t, tn } from "../i18n";
import { categoryName, countryWithMarket, formatMoney } from "../lib/cost";
import { formatNumber } from "../lib/format";
import { noticeSessionEnd } from "../state/session";
import type { CampaignCost, CampaignDetail } from "../types";
import { Notice } from "./controls";
import { RateCardNote, rateText } from "./cost-estimate";
import { DataTable } from "./data-table";

/** The cost is fetched again at most this often while progress arrives. */
const REFRESH_MS = 5_000;

function ByVariant({ cost }: { cost: CampaignCost }) {
  if (cost.by_variant.length < 2) return null;
  return (
    <DataTable
      label={t("cost.panel.byVariant")}
      caption={t("cost.panel.byVariant")}
      data="cost-variants"
      rows={cost.by_variant}
      rowKey={(v) => v.variant}
      rowData={(v) => ({ variant: v.variant })}
      columns={[
        { label: t("cost.col.variant"), cell: (v) => t("cost.panel.variant", { n: v.variant + 1 }) },
        { label: t("cost.col.billable"), numeric: true, cell: (v) => formatNumber(v.billable) },
        { label: t("cost.col.free"), numeric: true, cell: (v) => formatNumber(v.free) },
        { label: t("cost.col.cost"), numeric: true, cell: (v) => formatMoney(v.total) },
      ]}
    />
  );
}

function ByCountry({ cost }: { cost: CampaignCost }) {
  if (cost.by_country.length === 0) return null;
  return (
    <DataTable
      label={t("cost.panel.byCountry")}
      caption={t("cost.panel.byCountry")}
      data="cost-countries"
      rows={cost.by_country}
      rowKey={(l) => `${l.country}:${l.category}`}
      rowData={(l) => ({ country: l.country ?? "" })}
      columns={[
        { label: t("cost.col.country"), cell: (l) => countryWithMarket(l.country, l.market) },
        { label: t("cost.col.category"), cell: (l) => categoryName(l.category) },
        { label: t("cost.col.billable"), numeric: true, cell: (l) => formatNumber(l.billable) },
        { label: t("cost.col.free"), numeric: true, cell: (l) => formatNumber(l.free) },
        { label: t("cost.col.rate"), numeric: true, cell: (l) => (l.billable === 0 ? "–" : rateText(l.rate)) },
        { label: t("cost.col.subtotal"), numeric: true, cell: (l) => (l.subtotal === null ? "–" : formatMoney(l.subtotal)) },
      ]}
    />
  );
}

/**
 * The campaign's cost so far (delivered messages WhatsApp bills, at the rates in force) and the
 * estimate taken at launch; fetched again as the campaign's progress changes.
 */
export function CampaignCostPanel({ campaign }: { campaign: CampaignDetail }) {
  const [cost, setCost] = useState<CampaignCost | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = useRefreshVersion(campaign.progress, REFRESH_MS);
  const launched = campaign.status !== "draft" && campaign.status !== "scheduled";

  useEffect(() => {
    if (!launched) return;
    let stale = false;
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
    return () => {
      stale = true;
    };
  }, [campaign.id, launched, version]);

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
