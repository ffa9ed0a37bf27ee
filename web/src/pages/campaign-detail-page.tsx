import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { RECIPIENT_STATES, type RecipientState } from "../../../worker/domain/delivery-status";
import { api, messageOf } from "../api";
import { CampaignCostPanel } from "../components/campaign-cost-panel";
import { CampaignHistory } from "../components/campaign-history";
import { Counters, campaignNote, Rates, Timing } from "../components/campaign-progress";
import { CampaignSummary } from "../components/campaign-summary";
import { Notice, SelectField } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { ProgressBar, ProgressLegend } from "../components/progress-bar";
import { SeriesChart } from "../components/series-chart";
import { StatusBadge, statusLabel } from "../components/status-badge";
import { hasVariants, VariantResultsSection } from "../components/variant-results";
import { followed, followLive } from "../hooks/use-live-campaigns";
import { useRefreshVersion } from "../hooks/use-refresh-version";
import { useTitle } from "../hooks/use-title";
import { type MessageKey, t } from "../i18n";
import { formatDateTime, formatNumber, percent } from "../lib/format";
import { reasonText } from "../lib/skip-reasons";
import { afterActionStatus, type ButtonAction, runAction } from "../state/campaigns";
import { labels, loadLabels } from "../state/labels";
import { noticeSessionEnd } from "../state/session";
import type { CampaignDetail, FailureGroup, Recipient, SeriesPoint } from "../types";

const POLL_MS = 5_000;
/** The chart and the failures refresh at most this often while progress arrives. */
const REFRESH_MS = 5_000;
/** With at least this many sends, a failure rate above HIGH_FAILURES gets the troubleshooting note. */
const MIN_SENDS_FOR_ADVICE = 10;
const HIGH_FAILURES = 0.2;
const RECIPIENTS_REFRESH_MS = 5_000;

/** A recipient's state in the UI's language; a state this page does not know is shown as the API names it. */
const stateLabel = (s: string) => ((RECIPIENT_STATES as readonly string[]).includes(s) ? t(`campaigns.state.${s as RecipientState}`) : s);

function RecipientsTable({ campaign }: { campaign: CampaignDetail }) {
  const [state, setState] = useState("");
  const [phone, setPhone] = useState("");
  const [phoneError, setPhoneError] = useState<string | undefined>();
  const [cursors, setCursors] = useState<string[]>([""]);
  const [page, setPage] = useState<{ data: Recipient[]; next_cursor: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1]!;
  const digits = phone.replace(/[^\d+]/g, "");
  // While the campaign sends, the first page is refreshed at most every few seconds.
  const version = useRefreshVersion(campaign.progress, RECIPIENTS_REFRESH_MS);
  const variants = campaign.content.type === "text" && campaign.content.variants.length > 1;

  useEffect(() => {
    let stale = false;
    const q = new URLSearchParams({ limit: "25" });
    if (state) q.set("state", state);
    if (digits) q.set("phone", digits);
    if (cursor) q.set("cursor", cursor);
    const timer = setTimeout(() => {
      api
        .get<{ data: Recipient[]; next_cursor: string | null }>(`/api/campaigns/${campaign.id}/recipients?${q}`)
        .then((p) => {
          if (stale) return;
          setPage(p);
          setError(null);
          setPhoneError(undefined);
        })
        .catch((e) => {
          noticeSessionEnd(e);
          if (stale) return;
          const detail = (e as { details?: { path: string; message: string }[] }).details?.find((d) => d.path === "phone");
          if (detail) setPhoneError(detail.message);
          else setError(messageOf(e));
        });
    }, 200);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [campaign.id, state, digits, cursor, cursors.length === 1 ? version : null]);

  return (
    <section aria-labelledby="recipients-heading">
      <div class="page-head">
        <h2 id="recipients-heading">{t("campaigns.recipients.heading")}</h2>
        <a class="button button-secondary" href={`/api/campaigns/${campaign.id}/recipients.csv`} download>
          {t("campaigns.recipients.export")}
        </a>
      </div>
      <form class="filters" role="search" aria-label={t("campaigns.recipients.heading")} onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label={t("campaigns.recipients.state")}
          value={state}
          onValue={(s) => {
            setState(s);
            setCursors([""]);
          }}
          options={[{ value: "", label: t("campaigns.recipients.anyState") }, ...RECIPIENT_STATES.map((s) => ({ value: s, label: stateLabel(s) }))]}
          name="state"
        />
        <Field
          label={t("campaigns.recipients.searchPhone")}
          type="search"
          inputMode="tel"
          value={phone}
          onValue={(p) => {
            setPhone(p);
            setCursors([""]);
          }}
          error={phoneError}
          name="phone"
        />
      </form>
      <FormError message={error} />
      {page === null ? (
        <p class="muted">{t("campaigns.recipients.loading")}</p>
      ) : page.data.length === 0 ? (
        <p class="muted">{campaign.progress.total === 0 ? t("campaigns.recipients.notYet") : t("campaigns.recipients.noMatch")}</p>
      ) : (
        <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="recipients-heading">
          <table class="table" data-recipients-table>
            <thead>
              <tr>
                <th scope="col">{t("campaigns.recipients.phone")}</th>
                <th scope="col">{t("campaigns.recipients.name")}</th>
                <th scope="col">{t("campaigns.recipients.state")}</th>
                {variants && <th scope="col">{t("campaigns.recipients.variant")}</th>}
                <th scope="col">{t("campaigns.counter.sent")}</th>
                <th scope="col">{t("campaigns.recipients.error")}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((r) => (
                <tr key={r.id} data-state={r.state}>
                  <td>{r.phone}</td>
                  <td>{r.name}</td>
                  <td>{stateLabel(r.state)}</td>
                  {variants && <td>{r.variant === null ? "" : r.variant + 1}</td>}
                  <td>{formatDateTime(r.sent_at)}</td>
                  <td>{r.error_code !== null ? `${r.error_code}: ${r.error_title ?? ""}` : reasonText(r.reason)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="pager">
        {cursors.length > 1 && (
          <button type="button" class="button-secondary" onClick={() => setCursors(cursors.slice(0, -1))}>
            {t("common.previousPage")}
          </button>
        )}
        {page?.next_cursor && (
          <button type="button" class="button-secondary" onClick={() => setCursors([...cursors, page.next_cursor!])}>
            {t("common.nextPage")}
          </button>
        )}
      </div>
    </section>
  );
}

function Failures({ groups }: { groups: FailureGroup[] }) {
  if (groups.length === 0) return null;
  return (
    <section aria-labelledby="failures-heading">
      <h2 id="failures-heading">{t("campaigns.failures.heading")}</h2>
      <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="failures-heading">
        <table class="table" data-failures>
          <thead>
            <tr>
              <th scope="col">{t("campaigns.failures.code")}</th>
              <th scope="col">{t("campaigns.recipients.heading")}</th>
              <th scope="col">{t("campaigns.failures.meaning")}</th>
              <th scope="col">{t("campaigns.failures.advice")}</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={String(g.error_code)}>
                <td>{g.error_code ?? "–"}</td>
                <td>{formatNumber(g.count)}</td>
                <td>
                  {g.meaning}
                  {g.error_title && g.error_title !== g.meaning && <span class="hint"> {t("campaigns.failures.said", { title: g.error_title })}</span>}
                </td>
                <td>{g.advice}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function CampaignDetailPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = Number(params.id);
  const [campaign, setCampaign] = useState<CampaignDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [series, setSeries] = useState<SeriesPoint[]>([]);
  const [failures, setFailures] = useState<FailureGroup[]>([]);
  const lastRefresh = useRef(0);
  useTitle(campaign?.title ?? t("campaigns.campaign"));

  const load = () =>
    api
      .get<CampaignDetail>(`/api/campaigns/${id}`)
      .then((c) => {
        setCampaign(c);
        setError(null);
      })
      .catch((e) => {
        noticeSessionEnd(e);
        setError(messageOf(e));
      });

  const refreshSideData = () => {
    lastRefresh.current = Date.now();
    api.get<{ data: SeriesPoint[] }>(`/api/campaigns/${id}/series`).then((s) => setSeries(s.data), noticeSessionEnd);
    api.get<{ data: FailureGroup[] }>(`/api/campaigns/${id}/failures`).then((f) => setFailures(f.data), noticeSessionEnd);
  };

  useEffect(() => {
    void loadLabels();
    void load();
    refreshSideData();
  }, [id]);

  const live = campaign !== null && followed(campaign);
  const statusNow = campaign?.status;
  // Live progress over the campaign's socket; while it is down, polling keeps the page current.
  useEffect(() => {
    if (!live) return;
    let poll: ReturnType<typeof setInterval> | null = null;
    const stop = followLive(
      id,
      (message) => {
        if (poll) {
          clearInterval(poll);
          poll = null;
        }
        // A new status brings the allowed actions and the rest of the view from the server.
        if (message.status !== statusNow) void load();
        setCampaign(
          (c) =>
            c && {
              ...c,
              status: message.status,
              status_reason: message.reason,
              status_note: message.note !== undefined ? message.note : message.status === c.status ? c.status_note : null,
              preparing: message.preparing ?? false,
              progress: message.progress,
            },
        );
        if (message.status !== statusNow || Date.now() - lastRefresh.current > REFRESH_MS) refreshSideData();
      },
      () => {
        poll ??= setInterval(() => void load(), POLL_MS);
      },
    );
    const sideData = setInterval(() => Date.now() - lastRefresh.current > REFRESH_MS && refreshSideData(), REFRESH_MS);
    return () => {
      stop();
      clearInterval(sideData);
      if (poll) clearInterval(poll);
    };
  }, [id, live, statusNow]);

  if (error && !campaign) {
    return (
      <>
        <p class="breadcrumb">
          <a href="/campaigns">{t("common.nav.campaigns")}</a>
        </p>
        <FormError message={t("campaigns.loadOneFailed", { message: error })} />
      </>
    );
  }
  if (!campaign) return <p class="muted">{t("campaigns.loadingOne")}</p>;
  const c = campaign;
  const p = c.progress;

  const act = async (action: ButtonAction) => {
    setBusy(true);
    setActionError(null);
    setStatus("");
    try {
      const done = await runAction(c, action);
      if (done && "goTo" in done) route(done.goTo);
      else if (done && "deleted" in done) route("/campaigns");
      else if (done) {
        setCampaign(done.updated);
        setStatus(afterActionStatus(t("campaigns.isNow", { status: statusLabel(done.updated.status).toLowerCase() }), done.updated));
      }
    } catch (e) {
      setActionError(t("campaigns.actionFailed", { title: c.title, message: messageOf(e) }));
    } finally {
      setBusy(false);
    }
  };

  const attempted = p.sent + p.failed;
  const manyFailures = attempted >= MIN_SENDS_FOR_ADVICE && p.failed / attempted > HIGH_FAILURES;
  const buttons: { action: ButtonAction; label: MessageKey; tone?: string }[] = [
    { action: "pause", label: "campaigns.action.pause" },
    { action: "resume", label: "campaigns.action.resume" },
    { action: "unschedule", label: "campaigns.action.unschedule" },
    { action: "cancel", label: "campaigns.action.cancelCampaign", tone: "button-danger" },
    { action: "duplicate", label: "campaigns.action.duplicate" },
    { action: "delete", label: "common.delete", tone: "button-danger" },
  ];

  const retargetLink = c.launched_at !== null && (
    <a class="button button-secondary" href={`/campaigns/new?retarget=${c.id}`}>
      {t("retarget.action")}
    </a>
  );

  return (
    <>
      <p class="breadcrumb">
        <a href="/campaigns">{t("common.nav.campaigns")}</a>
      </p>
      <div class="page-head">
        <h1>{c.title}</h1>
        <StatusBadge status={c.status} />
      </div>
      <p class="campaign-meta muted">
        {c.inbox_name ?? t("campaigns.deletedInbox")} · <Timing c={c} />
        {c.launched_at && c.completed_at && <> · {t("campaigns.launchedAfter", { at: formatDateTime(c.launched_at) })}</>}
      </p>
      {campaignNote(c) && (
        <p class="campaign-note" data-status-reason>
          {campaignNote(c)}
        </p>
      )}
      <div class="campaign-actions">
        {c.actions.includes("edit") && (
          <a class="button" href={`/campaigns/${c.id}/edit`}>
            {t("campaigns.editDraft")}
          </a>
        )}
        {buttons
          .filter((b) => c.actions.includes(b.action))
          .map((b) => (
            <Fragment key={b.action}>
              {/* A launched campaign's results can be the audience of a new one: offered before the delete button. */}
              {b.action === "delete" && retargetLink}
              <button type="button" class={b.tone ?? "button-secondary"} disabled={busy} onClick={() => void act(b.action)}>
                {t(b.label)}
              </button>
            </Fragment>
          ))}
        {!c.actions.includes("delete") && retargetLink}
      </div>
      <p class="status" role="status">
        {status}
      </p>
      <FormError message={actionError} />
      {manyFailures && (
        <Notice tone="warning" data-notice="many-failures">
          <p>
            <strong>{t("campaigns.manyFailures.title", { rate: percent(p.failed, attempted) })}</strong> {t("campaigns.manyFailures.text")}
          </p>
        </Notice>
      )}
      <section aria-labelledby="progress-heading" class="panel" data-campaign={c.id}>
        <h2 id="progress-heading">{t("campaigns.progress")}</h2>
        {p.total > 0 ? (
          <>
            <ProgressBar progress={p} label={c.title} />
            <ProgressLegend />
            <Counters p={p} />
            <Rates p={p} />
          </>
        ) : (
          <p class="muted">{c.status === "scheduled" ? t("campaigns.starts", { at: formatDateTime(c.scheduled_at) }) : t("campaigns.notLaunched")}</p>
        )}
      </section>
      {p.total > 0 && (
        <section aria-labelledby="chart-heading">
          <h2 id="chart-heading">{t("campaigns.chart.heading")}</h2>
          {series.length === 0 ? <p class="muted">{t("campaigns.chart.empty")}</p> : <SeriesChart points={series} />}
        </section>
      )}
      {p.total > 0 && hasVariants(c) && <VariantResultsSection campaign={c} />}
      {c.status !== "draft" && <CampaignCostPanel campaign={c} />}
      <Failures groups={failures} />
      {c.status !== "draft" && <RecipientsTable campaign={c} />}
      <section aria-labelledby="setup-heading">
        <h2 id="setup-heading">{c.status === "draft" ? t("campaigns.status.draft") : t("campaigns.asLaunched")}</h2>
        <CampaignSummary
          title={c.title}
          inbox={c.inbox_name ?? t("campaigns.deletedInbox")}
          audience={c.audience}
          labels={labels.value.items}
          content={c.content}
          settings={c.settings}
        />
      </section>
      <CampaignHistory campaignId={c.id} status={c.status} />
    </>
  );
}
