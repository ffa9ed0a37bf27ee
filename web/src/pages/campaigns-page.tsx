import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { messageOf } from "../api";
import { Counters, campaignNote, Rates, Timing } from "../components/campaign-progress";
import { SelectField } from "../components/controls";
import { Field } from "../components/field";
import { ProgressBar, ProgressLegend } from "../components/progress-bar";
import { CAMPAIGN_STATUSES, StatusBadge, statusLabel } from "../components/status-badge";
import { useLiveCampaigns } from "../hooks/use-live-campaigns";
import { useTitle } from "../hooks/use-title";
import { type MessageKey, t } from "../i18n";
import { afterActionStatus, type ButtonAction, campaigns, loadCampaigns, loadMoreCampaigns, runAction } from "../state/campaigns";
import type { CampaignDetail, CampaignStatus } from "../types";

/** Buttons the list offers, in this order, when the server allows them. */
const LIST_ACTIONS: { action: ButtonAction; label: MessageKey }[] = [
  { action: "pause", label: "campaigns.action.pause" },
  { action: "resume", label: "campaigns.action.resume" },
  { action: "unschedule", label: "campaigns.action.unschedule" },
  { action: "cancel", label: "campaigns.action.cancel" },
  { action: "duplicate", label: "campaigns.action.duplicate" },
];

function Row({ c, onAction, busy }: { c: CampaignDetail; onAction: (c: CampaignDetail, a: ButtonAction) => void; busy: boolean }) {
  const note = campaignNote(c);
  const p = c.progress;
  const actions = LIST_ACTIONS.filter((a) => c.actions.includes(a.action));
  return (
    <li class="campaign" data-campaign={c.id}>
      <div class="campaign-head">
        <h3 class="campaign-title">
          <a href={c.status === "draft" ? `/campaigns/${c.id}/edit` : `/campaigns/${c.id}`}>{c.title}</a>
        </h3>
        <StatusBadge status={c.status} />
      </div>
      <p class="campaign-meta muted">
        {c.inbox_name ?? t("campaigns.deletedInbox")} · <Timing c={c} />
      </p>
      {note && <p class="campaign-note">{note}</p>}
      {p.total > 0 ? (
        <div class="campaign-progress">
          <ProgressBar progress={p} label={c.title} />
          <Counters p={p} />
          <Rates p={p} />
        </div>
      ) : (
        c.status === "draft" && <p class="muted">{t("campaigns.notLaunched")}</p>
      )}
      {(actions.length > 0 || c.actions.includes("edit")) && (
        <div class="campaign-actions">
          {c.actions.includes("edit") && (
            <a class="button button-secondary" href={`/campaigns/${c.id}/edit`}>
              {t("common.edit")}
              <span class="visually-hidden"> {c.title}</span>
            </a>
          )}
          {actions.map(({ action, label }) => (
            <button
              key={action}
              type="button"
              class={action === "cancel" ? "button-danger" : "button-secondary"}
              disabled={busy}
              onClick={() => onAction(c, action)}
            >
              {t(label)}
              <span class="visually-hidden"> {c.title}</span>
            </button>
          ))}
        </div>
      )}
    </li>
  );
}

export function CampaignsPage() {
  useTitle(t("common.nav.campaigns"));
  const { route } = useLocation();
  const { items, loading, error, filter, next } = campaigns.value;
  const [query, setQuery] = useState(filter.q);
  useEffect(() => {
    void loadCampaigns();
  }, []);
  // The search runs as the operator types, a moment after the last key.
  useEffect(() => {
    if (query === campaigns.value.filter.q) return;
    const t = setTimeout(() => void loadCampaigns({ filter: { ...campaigns.value.filter, q: query } }), 250);
    return () => clearTimeout(t);
  }, [query]);
  useLiveCampaigns(items);
  const [busy, setBusy] = useState<number | null>(null);
  const [status, setStatus] = useState("");
  const [actionError, setActionError] = useState<string | null>(null);

  const onAction = async (c: CampaignDetail, action: ButtonAction) => {
    setBusy(c.id);
    setActionError(null);
    setStatus("");
    try {
      const done = await runAction(c, action);
      if (done && "goTo" in done) route(done.goTo);
      else if (done && "deleted" in done) setStatus(t("campaigns.deleted", { title: c.title }));
      else if (done)
        setStatus(
          afterActionStatus(t("campaigns.nowStatus", { title: done.updated.title, status: statusLabel(done.updated.status).toLowerCase() }), done.updated),
        );
    } catch (e) {
      setActionError(t("campaigns.actionFailed", { title: c.title, message: messageOf(e) }));
    } finally {
      setBusy(null);
    }
  };

  const filtered = filter.q.trim() !== "" || filter.status !== "";

  return (
    <>
      <div class="page-head">
        <h1>{t("common.nav.campaigns")}</h1>
        <a class="button" href="/campaigns/new">
          {t("campaigns.create")}
        </a>
      </div>
      <p class="muted">{t("campaigns.listIntro")}</p>
      <p class="status" role="status">
        {status}
      </p>
      {actionError && (
        <div class="alert" role="alert">
          {actionError}
        </div>
      )}
      <form class="filters" role="search" aria-label={t("common.nav.campaigns")} onSubmit={(e) => e.preventDefault()}>
        <Field label={t("campaigns.searchTitle")} type="search" value={query} onValue={setQuery} name="q" />
        <SelectField
          label={t("campaigns.statusFilter")}
          value={filter.status}
          onValue={(s) => void loadCampaigns({ filter: { ...filter, status: s as CampaignStatus | "" } })}
          options={[{ value: "", label: t("campaigns.anyStatus") }, ...CAMPAIGN_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))]}
          name="status"
        />
      </form>
      <section aria-labelledby="all-campaigns-heading" aria-busy={loading}>
        <h2 id="all-campaigns-heading" class="visually-hidden">
          {t("campaigns.listHeading")}
        </h2>
        <ProgressLegend />
        {error && (
          <div class="alert" role="alert">
            {t("campaigns.loadFailed", { message: error })}{" "}
            <button type="button" class="button-link" onClick={() => void loadCampaigns()}>
              {t("common.tryAgain")}
            </button>
          </div>
        )}
        {items === null ? (
          loading && <p class="muted">{t("campaigns.loading")}</p>
        ) : items.length === 0 ? (
          <p class="muted">{filtered ? t("campaigns.noMatch") : t("campaigns.none")}</p>
        ) : (
          <ul class="campaign-list">
            {items.map((c) => (
              <Row key={c.id} c={c} onAction={(x, a) => void onAction(x, a)} busy={busy === c.id} />
            ))}
          </ul>
        )}
        {next && (
          <p>
            <button type="button" class="button-secondary" onClick={() => void loadMoreCampaigns()} disabled={loading}>
              {loading ? t("common.loading") : t("campaigns.showMore")}
            </button>
          </p>
        )}
      </section>
    </>
  );
}
