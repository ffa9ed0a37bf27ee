import { useState } from "preact/hooks";
import { estimateDurationMs } from "../../../../worker/domain/campaign-pacing";
import { api, messageOf } from "../../api";
import { Checkbox, ErrorText, Notice, RadioGroup, SelectField } from "../../components/controls";
import { Field } from "../../components/field";
import type { AudiencePreviewState } from "../../hooks/use-audience-preview";
import { t, tn } from "../../i18n";
import { formatDuration, formatNumber, timeZones } from "../../lib/format";
import { session } from "../../state/session";
import type { Label, SendSettings } from "../../types";
import { connected, type EditorData } from "./editor-page";
import { audienceToCount, type Draft, type Errors } from "./model";
import { RetargetFields } from "./retarget-fields";
import { SendWindowFields } from "./send-window-fields";

export type StepProps = {
  draft: Draft;
  update: (patch: Partial<Draft>) => void;
  errors: Errors;
  data: EditorData;
  preview: AudiencePreviewState;
  isAdmin: boolean;
};

export function TypeStep() {
  return (
    <RadioGroup
      legend={t("campaigns.type.legend")}
      name="campaign-type"
      value="whatsapp"
      onValue={() => undefined}
      options={[{ value: "whatsapp", label: "WhatsApp", hint: t("campaigns.type.whatsappHint") }]}
      hint={t("campaigns.type.hint")}
    />
  );
}

export function TitleStep({ draft, update, errors }: StepProps) {
  return (
    <Field
      label={t("campaigns.title.label")}
      hint={t("campaigns.title.hint")}
      value={draft.title}
      onValue={(title) => update({ title })}
      error={errors.title}
      maxLength={200}
      autoFocus
      name="title"
    />
  );
}

export function InboxStep({ draft, update, errors, data, isAdmin }: StepProps) {
  const [loading, setLoading] = useState(false);
  const [demoError, setDemoError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<EditorData["inboxes"]>(null);
  const inboxes = (loaded ?? data.inboxes)?.filter(connected) ?? null;
  if (inboxes === null) return <p class="muted">{t("campaigns.inbox.loading")}</p>;

  const loadDemo = async () => {
    setLoading(true);
    setDemoError(null);
    try {
      await api.post("/api/demo");
      const { data: fresh } = await api.get<{ data: EditorData["inboxes"] & object }>("/api/inboxes");
      setLoaded(fresh);
    } catch (e) {
      setDemoError(messageOf(e));
    } finally {
      setLoading(false);
    }
  };

  if (inboxes.length === 0) {
    return (
      <Notice tone="warning" data-notice="no-inbox">
        <p>
          <strong>{t("campaigns.inbox.noneTitle")}</strong> {t("campaigns.inbox.noneText")}
        </p>
        {isAdmin ? (
          <>
            <p>
              <a href="/inboxes">{t("campaigns.inbox.connectLink")}</a>.
            </p>
            {session.value?.features?.sandbox && (
              <p>
                {t("campaigns.inbox.demoText")}{" "}
                <button type="button" class="button-secondary" onClick={() => void loadDemo()} disabled={loading}>
                  {loading ? t("campaigns.inbox.loadingDemo") : t("campaigns.inbox.loadDemo")}
                </button>
              </p>
            )}
            <ErrorText id="demo-error" error={demoError ?? undefined} />
          </>
        ) : (
          <p>{t("campaigns.inbox.askAdmin")}</p>
        )}
      </Notice>
    );
  }
  return (
    <RadioGroup
      legend={t("campaigns.inbox.legend")}
      name="inbox"
      value={draft.inbox_id === null ? "" : String(draft.inbox_id)}
      onValue={(v) => update({ inbox_id: Number(v), template: null, values: {} })}
      error={errors.inbox_id}
      options={inboxes.map((i) => ({
        value: String(i.id),
        label: `${i.name}${i.display_phone ? ` · ${i.display_phone}` : ""}`,
        hint: t("campaigns.inbox.hint", {
          provider: i.provider === "sandbox" ? t("campaigns.inbox.sandbox") : "Cloud API",
          cap: i.throughput_cap,
          tier: i.messaging_limit_tier === "unlimited" ? t("campaigns.inbox.unlimited") : formatNumber(Number(i.messaging_limit_tier)),
        }),
      }))}
    />
  );
}

function LabelChecks({
  legend,
  name,
  all,
  chosen,
  onChosen,
  error,
  disabled = [],
}: {
  legend: string;
  name: string;
  all: Label[];
  chosen: number[];
  onChosen: (ids: number[]) => void;
  error?: string | undefined;
  disabled?: number[];
}) {
  return (
    <fieldset class="choice-group label-checks" aria-describedby={error ? `${name}-error` : undefined}>
      <legend>{legend}</legend>
      <ErrorText id={`${name}-error`} error={error} />
      <div class="label-grid">
        {all.map((l) => (
          <label key={l.id} class="choice">
            <input
              type="checkbox"
              name={name}
              value={l.id}
              checked={chosen.includes(l.id)}
              disabled={disabled.includes(l.id)}
              onChange={(e) => onChosen(e.currentTarget.checked ? [...chosen, l.id] : chosen.filter((id) => id !== l.id))}
            />
            <span class="swatch" style={{ background: l.color }} aria-hidden="true" />
            <span>
              {l.name} <span class="muted">({formatNumber(l.contact_count)})</span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** The live count and a few contacts of the audience chosen so far. */
export function AudienceCount({ preview, draft }: { preview: AudiencePreviewState; draft: Draft }) {
  if (audienceToCount(draft) === null) return <p class="muted">{t(draft.retarget ? "retarget.chooseResults" : "campaigns.audience.chooseLabels")}</p>;
  if (preview.error) return <ErrorText id="audience-preview-error" error={t("campaigns.audience.countFailed", { message: preview.error })} />;
  const p = preview.preview;
  if (!p) return <p class="muted">{t("campaigns.audience.counting")}</p>;
  if (p.total === 0) {
    const optedOut = p.opted_out_excluded > 0 ? ` ${tn("campaigns.audience.emptyOptedOut", p.opted_out_excluded)}` : "";
    return (
      <Notice tone="warning" data-notice="empty-audience">
        {draft.retarget ? (
          <p>
            <strong>{t("retarget.emptyTitle")}</strong>
            {optedOut}. {t("retarget.emptyText")}
          </p>
        ) : (
          <p>
            <strong>{t("campaigns.audience.emptyTitle")}</strong>
            {optedOut}. {t("campaigns.audience.emptyBefore")} <a href="/contacts">{t("common.nav.contacts")}</a> {t("campaigns.audience.emptyAfter")}
          </p>
        )}
      </Notice>
    );
  }
  return (
    <div class="audience-count" aria-live="polite" aria-busy={preview.loading}>
      <p>
        <strong data-audience-total>{formatNumber(p.total)}</strong> {tn("campaigns.audience.receive", p.total)}
        {p.opted_out_excluded > 0 && ` ${tn("campaigns.audience.optedOut", p.opted_out_excluded)}`}
      </p>
      <ul class="sample-list" aria-label={t("campaigns.audience.sample")}>
        {p.sample.slice(0, 5).map((c) => (
          <li key={c.id}>
            {c.name || t("campaigns.noName")} <span class="muted">{c.phone}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function AudienceStep({ draft, update, errors, preview, labels }: StepProps & { labels: Label[] | null }) {
  if (labels === null) return <p class="muted">{t("campaigns.audience.loadingLabels")}</p>;
  const a = draft.audience;
  const retarget = draft.retarget;
  return (
    <div class="stack">
      <RadioGroup
        legend={t("retarget.source.legend")}
        name="audience-source"
        value={retarget ? "campaign" : "labels"}
        onValue={(v) => update({ retarget: v === "campaign" ? (retarget ?? { campaign_id: null, states: [] }) : null })}
        options={[
          { value: "labels", label: t("retarget.source.labels"), hint: t("retarget.source.labelsHint") },
          { value: "campaign", label: t("retarget.source.campaign"), hint: t("retarget.source.campaignHint") },
        ]}
      />
      {retarget && <RetargetFields choice={retarget} onChoice={(choice) => update({ retarget: choice })} errors={errors} />}
      {labels.length === 0 && !retarget && (
        <Notice tone="warning" data-notice="no-labels">
          <p>
            {t("campaigns.audience.noLabelsBefore")} <a href="/labels">{t("common.nav.labels")}</a> {t("campaigns.audience.noLabelsAfter")}
          </p>
        </Notice>
      )}
      {labels.length > 0 && (
        <>
          <LabelChecks
            legend={retarget ? t("retarget.labels.include") : t("campaigns.audience.include")}
            name="labels"
            all={labels}
            chosen={a.labels}
            onChosen={(ids) => update({ audience: { ...a, labels: ids, exclude_labels: a.exclude_labels.filter((id) => !ids.includes(id)) } })}
            error={errors["audience.labels"] ?? errors.labels}
          />
          <RadioGroup
            legend={t("campaigns.audience.match")}
            name="match"
            value={a.match}
            onValue={(v) => update({ audience: { ...a, match: v as "any" | "all" } })}
            options={[
              { value: "any", label: t("campaigns.audience.any") },
              { value: "all", label: t("campaigns.audience.all") },
            ]}
          />
          <LabelChecks
            legend={t("campaigns.audience.exclude")}
            name="exclude_labels"
            all={labels}
            chosen={a.exclude_labels}
            disabled={a.labels}
            onChosen={(ids) => update({ audience: { ...a, exclude_labels: ids } })}
            error={errors["audience.exclude_labels"] ?? errors.exclude_labels}
          />
        </>
      )}
      <section aria-label={t("campaigns.step.audience")} class="panel">
        <AudienceCount preview={preview} draft={draft} />
      </section>
    </div>
  );
}

function NumberField({
  label,
  hint,
  value,
  onValue,
  error,
  step = "any",
  min,
  max,
  suffix,
}: {
  label: string;
  hint?: string;
  value: number;
  onValue: (n: number) => void;
  error?: string | undefined;
  step?: string;
  min?: number;
  max?: number;
  suffix?: string;
}) {
  return (
    <Field
      label={suffix ? `${label} (${suffix})` : label}
      hint={hint}
      type="number"
      inputMode="decimal"
      step={step}
      min={min}
      max={max}
      class="input-number"
      value={Number.isFinite(value) ? String(value) : ""}
      onValue={(v) => onValue(v.trim() === "" ? Number.NaN : Number(v))}
      error={error}
    />
  );
}

/** The audience a campaign would send to, without the free-text skips. */
export function reachable(draft: Draft, preview: AudiencePreviewState): number | null {
  const p = preview.preview;
  if (!p) return null;
  return draft.contentType === "text" ? p.total - p.outside_window : p.total;
}

export function SettingsStep({ draft, update, errors, data, preview }: StepProps) {
  const s = draft.settings;
  const set = (patch: Partial<SendSettings>) => update({ settings: { ...s, ...patch } });
  const inbox = data.inboxes?.find((i) => i.id === draft.inbox_id);
  const recipients = reachable(draft, preview);
  const valid = [s.min_delay_s, s.max_delay_s, s.batch_size, s.batch_pause_s].every(Number.isFinite) && s.min_delay_s <= s.max_delay_s && s.batch_size >= 1;
  const estimate = recipients !== null && inbox && valid ? estimateDurationMs(recipients, s, inbox.throughput_cap) : null;
  return (
    <div class="stack">
      <p class="hint">{t("campaigns.settings.why")}</p>
      <div class="field-row">
        <NumberField
          label={t("campaigns.settings.minDelay")}
          suffix={t("campaigns.settings.seconds")}
          min={0}
          max={3600}
          value={s.min_delay_s}
          onValue={(n) => set({ min_delay_s: n })}
          error={errors["settings.min_delay_s"]}
        />
        <NumberField
          label={t("campaigns.settings.maxDelay")}
          suffix={t("campaigns.settings.seconds")}
          min={0}
          max={3600}
          value={s.max_delay_s}
          onValue={(n) => set({ max_delay_s: n })}
          error={errors["settings.max_delay_s"]}
        />
      </div>
      <div class="field-row">
        <NumberField
          label={t("campaigns.settings.batchSize")}
          hint={t("campaigns.settings.batchSizeHint")}
          step="1"
          min={1}
          max={1000}
          value={s.batch_size}
          onValue={(n) => set({ batch_size: n })}
          error={errors["settings.batch_size"]}
        />
        <NumberField
          label={t("campaigns.settings.batchPause")}
          suffix={t("campaigns.settings.seconds")}
          min={0}
          value={s.batch_pause_s}
          onValue={(n) => set({ batch_pause_s: n })}
          error={errors["settings.batch_pause_s"]}
        />
      </div>
      <Checkbox
        label={t("campaigns.settings.randomize")}
        hint={t("campaigns.settings.randomizeHint")}
        checked={s.randomize_variants}
        onChecked={(randomize_variants) => set({ randomize_variants })}
      />
      <div class="field-row">
        <NumberField
          label={t("campaigns.settings.threshold")}
          suffix="%"
          min={5}
          max={100}
          step="1"
          value={Number.isFinite(s.failure_threshold) ? Math.round(s.failure_threshold * 100) : Number.NaN}
          onValue={(n) => set({ failure_threshold: n / 100 })}
          error={errors["settings.failure_threshold"]}
        />
        <NumberField
          label={t("campaigns.settings.window")}
          suffix={t("campaigns.settings.messages")}
          step="1"
          min={10}
          max={1000}
          value={s.failure_window}
          onValue={(n) => set({ failure_window: n })}
          error={errors["settings.failure_window"]}
        />
      </div>
      <SendWindowFields window={s.send_window ?? null} onWindow={(send_window) => set({ send_window })} errors={errors} />
      <p class="panel" data-estimate aria-live="polite">
        {estimate === null ? (
          t("campaigns.settings.noEstimate")
        ) : (
          <>
            {tn("campaigns.settings.estimate", recipients!)} <strong>{formatDuration(estimate)}</strong>
            <span class="muted"> {t("campaigns.settings.cap", { cap: inbox!.throughput_cap })}</span>
          </>
        )}
      </p>
    </div>
  );
}

export function WhenStep({ draft, update, errors }: StepProps) {
  const s = draft.schedule;
  return (
    <div class="stack">
      <RadioGroup
        legend={t("campaigns.when.legend")}
        name="when"
        value={draft.when}
        onValue={(v) => update({ when: v as Draft["when"] })}
        options={[
          { value: "now", label: t("campaigns.when.now"), hint: t("campaigns.when.nowHint") },
          { value: "schedule", label: t("campaigns.when.schedule"), hint: t("campaigns.when.scheduleHint") },
          { value: "draft", label: t("campaigns.when.draft"), hint: t("campaigns.when.draftHint") },
        ]}
      />
      {draft.when === "schedule" && (
        <fieldset class="choice-group">
          <legend>{t("campaigns.when.startAt")}</legend>
          <div class="field-row">
            <Field
              label={t("campaigns.when.date")}
              type="date"
              value={s.date}
              onValue={(date) => update({ schedule: { ...s, date } })}
              error={errors["schedule.date"]}
            />
            <Field
              label={t("campaigns.when.time")}
              type="time"
              value={s.time}
              onValue={(time) => update({ schedule: { ...s, time } })}
              error={errors["schedule.time"]}
            />
          </div>
          <SelectField
            label={t("campaigns.when.timezone")}
            value={s.timezone}
            onValue={(timezone) => update({ schedule: { ...s, timezone } })}
            options={timeZones().map((z) => ({ value: z, label: z.replace(/_/g, " ") }))}
            error={errors["schedule.timezone"]}
          />
        </fieldset>
      )}
    </div>
  );
}
