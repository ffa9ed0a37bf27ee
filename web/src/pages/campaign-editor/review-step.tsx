import { useEffect, useState } from "preact/hooks";
import { skippedTotal } from "../../../../worker/domain/launch-skips";
import { api, messageOf } from "../../api";
import { CampaignSummary } from "../../components/campaign-summary";
import { ErrorText, Notice } from "../../components/controls";
import { CostEstimateView } from "../../components/cost-estimate";
import { Field } from "../../components/field";
import { FormError } from "../../components/form-error";
import { t, tn } from "../../i18n";
import { formatNumber } from "../../lib/format";
import { noticeSessionEnd } from "../../state/session";
import type { CampaignDetail, Label, LaunchPreview } from "../../types";
import { audienceOf, contentOf, type Step, scheduleAt } from "./model";
import { LaunchScheduleText } from "./send-window-fields";
import type { StepProps } from "./steps";

type TestResult = { phone: string; ok: boolean; wamid?: string; error?: string };

/** Sends the saved draft to a few phones, without touching the campaign's progress. */
function TestSend({ campaignId }: { campaignId: number }) {
  const [phones, setPhones] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const [results, setResults] = useState<TestResult[] | null>(null);
  const send = async () => {
    const list = phones
      .split(/[,;\n]/)
      .map((p) => p.trim())
      .filter(Boolean);
    if (list.length === 0) {
      setError(t("campaigns.test.atLeastOne"));
      return;
    }
    if (list.length > 5) {
      setError(t("campaigns.test.atMost"));
      return;
    }
    setSending(true);
    setError(undefined);
    setResults(null);
    try {
      const { results } = await api.post<{ results: TestResult[] }>(`/api/campaigns/${campaignId}/test`, { phones: list });
      setResults(results);
    } catch (e) {
      noticeSessionEnd(e);
      setError(messageOf(e));
    } finally {
      setSending(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="test-heading">
      <h3 id="test-heading">{t("campaigns.test.heading")}</h3>
      <div class="inline-form">
        <Field
          label={t("campaigns.test.phones")}
          hint={t("campaigns.test.phonesHint")}
          value={phones}
          onValue={setPhones}
          error={error}
          name="test-phones"
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="button" class="button-secondary" onClick={() => void send()} disabled={sending}>
          {sending ? t("campaigns.test.sending") : t("campaigns.test.send")}
        </button>
      </div>
      <div role="status" data-test-results>
        {results && (
          <ul class="plain-list">
            {results.map((r) => (
              <li key={r.phone} class={r.ok ? "ok" : "field-error"}>
                {r.ok ? t("campaigns.test.sent", { phone: r.phone }) : t("campaigns.test.notSent", { phone: r.phone, error: r.error ?? "" })}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

export function ReviewStep({
  draft,
  data,
  labels,
  goTo,
  showErrors,
  onDone,
}: StepProps & { labels: Label[] | null; goTo: (s: Step) => void; showErrors: (e: unknown) => void; onDone: (id: number) => void }) {
  const [preview, setPreview] = useState<LaunchPreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const id = draft.id!;
  const s = draft.schedule;
  // A schedule changes when sending would start: the preview is asked as scheduled.
  const scheduled = draft.when === "schedule" && s.date && s.time ? `?${new URLSearchParams({ at: scheduleAt(s), timezone: s.timezone })}` : "";
  useEffect(() => {
    api
      .get<LaunchPreview>(`/api/campaigns/${id}/preview${scheduled}`)
      .then(setPreview)
      .catch((e) => {
        noticeSessionEnd(e);
        setPreviewError(messageOf(e));
      });
  }, [id, scheduled]);

  const inbox = data.inboxes?.find((i) => i.id === draft.inbox_id);
  const content = contentOf(draft)!;
  const when =
    draft.when === "now"
      ? t("campaigns.when.now")
      : draft.when === "schedule"
        ? t("campaigns.review.scheduledAt", { date: s.date, time: s.time, zone: s.timezone.replace(/_/g, " ") })
        : t("campaigns.review.draft");

  const confirm = async () => {
    setConfirming(true);
    try {
      if (draft.when === "now") await api.post<CampaignDetail>(`/api/campaigns/${id}/launch`, {});
      if (draft.when === "schedule") await api.post<CampaignDetail>(`/api/campaigns/${id}/launch`, { schedule: { at: scheduleAt(s), timezone: s.timezone } });
      onDone(id);
    } catch (e) {
      setConfirming(false);
      showErrors(e);
    }
  };

  const warnings: string[] = [];
  if (preview) {
    if (preview.messaging_limit?.warning) warnings.push(preview.messaging_limit.warning);
    if (preview.skipped_outside_window > 0) {
      warnings.push(tn("campaigns.review.skipped", preview.skipped_outside_window));
    }
    if (preview.skipped.marketing_stopped > 0) warnings.push(tn("capPrefs.review.marketingStopped", preview.skipped.marketing_stopped));
    if (preview.skipped.frequency_cap > 0) warnings.push(tn("capPrefs.review.frequencyCap", preview.skipped.frequency_cap));
    const missing = preview.missing_values;
    if (missing.affected > 0) {
      const who = missing.examples.map((x) => `${x.phone} (${x.missing.join(", ")})`).join("; ");
      warnings.push(tn("campaigns.review.missing", missing.affected, { examples: who }));
    }
  }
  // Nobody would receive it: the launch would be refused.
  const everyoneSkipped = preview !== null && preview.recipients > 0 && skippedTotal(preview) === preview.recipients;
  const label = draft.when === "now" ? t("campaigns.when.now") : draft.when === "schedule" ? t("campaigns.review.schedule") : t("campaigns.review.saveDraft");

  return (
    <div class="stack">
      <CampaignSummary
        title={draft.title}
        inbox={inbox ? `${inbox.name}${inbox.display_phone ? ` · ${inbox.display_phone}` : ""}` : String(draft.inbox_id)}
        audience={audienceOf(draft)}
        labels={labels}
        content={content}
        settings={draft.settings}
        when={when}
        onChange={(what) => goTo(what)}
      />
      <section aria-labelledby="checks-heading" class="panel">
        <h3 id="checks-heading">{t("campaigns.review.checks")}</h3>
        {previewError && <FormError message={t("campaigns.review.checkFailed", { message: previewError })} />}
        {!preview && !previewError && <p class="muted">{t("campaigns.review.checking")}</p>}
        {preview && (
          <p data-recipients>
            <strong>{formatNumber(preview.recipients)}</strong> {tn("campaigns.audience.receive", preview.recipients)}
          </p>
        )}
        {preview && draft.when !== "draft" && <LaunchScheduleText schedule={preview.schedule} />}
        {warnings.map((w) => (
          <Notice key={w} tone="warning" data-notice="launch-warning">
            <p>{w}</p>
          </Notice>
        ))}
        {preview && preview.recipients === 0 && <ErrorText id="no-recipients" error={t("campaigns.review.nobody")} />}
        {everyoneSkipped && <ErrorText id="no-recipients" error={t("capPrefs.review.everyoneSkipped")} />}
        {preview && preview.recipients > 0 && <CostEstimateView estimate={preview.cost_estimate} freeText={content.type === "text"} />}
      </section>
      <TestSend campaignId={id} />
      <div class="step-actions">
        <button type="button" class="button-secondary" onClick={() => goTo("when")}>
          {t("common.back")}
        </button>
        <button
          type="button"
          onClick={() => void confirm()}
          disabled={confirming || (draft.when !== "draft" && (preview?.recipients === 0 || everyoneSkipped))}
          data-confirm
        >
          {confirming ? t("campaigns.review.working") : label}
        </button>
      </div>
    </div>
  );
}
