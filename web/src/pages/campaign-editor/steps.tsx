import { useState } from "preact/hooks";
import { estimateDurationMs } from "../../../../worker/domain/campaign-pacing";
import { api, messageOf } from "../../api";
import { Checkbox, ErrorText, Notice, RadioGroup, SelectField } from "../../components/controls";
import { Field } from "../../components/field";
import type { AudiencePreviewState } from "../../hooks/use-audience-preview";
import { formatDuration, formatNumber, timeZones } from "../../lib/format";
import { session } from "../../state/session";
import type { Label, SendSettings } from "../../types";
import { connected, type EditorData } from "./editor-page";
import type { Draft, Errors } from "./model";

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
      legend="What kind of campaign?"
      name="campaign-type"
      value="whatsapp"
      onValue={() => undefined}
      options={[{ value: "whatsapp", label: "WhatsApp", hint: "An approved template or a free-text message, sent from one of your WhatsApp numbers." }]}
      hint="More channels may come later; WhatsApp is the one Herald sends today."
    />
  );
}

export function TitleStep({ draft, update, errors }: StepProps) {
  return (
    <Field
      label="Campaign title"
      hint="Only your team sees it, in the list of campaigns."
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
  if (inboxes === null) return <p class="muted">Loading inboxes…</p>;

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
          <strong>Connect a WhatsApp inbox first.</strong> A campaign is sent from one of your workspace's connected WhatsApp numbers, and this
          workspace has none yet.
        </p>
        {isAdmin ? (
          <>
            <p>
              <a href="/inboxes">Connect a number on the Inboxes page</a>.
            </p>
            {session.value?.features?.sandbox && (
              <p>
                To try Herald without a real number, load the demo: a simulated WhatsApp number with approved templates, labels and contacts.{" "}
                <button type="button" class="button-secondary" onClick={() => void loadDemo()} disabled={loading}>
                  {loading ? "Loading the demo…" : "Load the demo"}
                </button>
              </p>
            )}
            <ErrorText id="demo-error" error={demoError ?? undefined} />
          </>
        ) : (
          <p>Only an admin of this workspace can connect a number: ask one to do it on the Inboxes page.</p>
        )}
      </Notice>
    );
  }
  return (
    <RadioGroup
      legend="Which WhatsApp number sends this campaign?"
      name="inbox"
      value={draft.inbox_id === null ? "" : String(draft.inbox_id)}
      onValue={(v) => update({ inbox_id: Number(v), template: null, values: {} })}
      error={errors.inbox_id}
      options={inboxes.map((i) => ({
        value: String(i.id),
        label: `${i.name}${i.display_phone ? ` · ${i.display_phone}` : ""}`,
        hint: `${i.provider === "sandbox" ? "Sandbox (simulated number)" : "Cloud API"} · up to ${i.throughput_cap} messages/s · ${i.messaging_limit_tier === "unlimited" ? "unlimited" : formatNumber(Number(i.messaging_limit_tier))} people a day outside the 24-hour window`,
      }))}
    />
  );
}

function LabelChecks({ legend, name, all, chosen, onChosen, error, disabled = [] }: { legend: string; name: string; all: Label[]; chosen: number[]; onChosen: (ids: number[]) => void; error?: string | undefined; disabled?: number[] }) {
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
  if (draft.audience.labels.length === 0) return <p class="muted">Choose labels to see who receives the campaign.</p>;
  if (preview.error) return <ErrorText id="audience-preview-error" error={`Could not count the audience: ${preview.error}`} />;
  const p = preview.preview;
  if (!p) return <p class="muted">Counting…</p>;
  if (p.total === 0) {
    return (
      <Notice tone="warning" data-notice="empty-audience">
        <p>
          <strong>No contact has these labels</strong>
          {p.opted_out_excluded > 0 ? ` (apart from ${formatNumber(p.opted_out_excluded)} who opted out)` : ""}. Add labels to contacts on the{" "}
          <a href="/contacts">Contacts</a> page, or choose other labels.
        </p>
      </Notice>
    );
  }
  return (
    <div class="audience-count" aria-live="polite" aria-busy={preview.loading}>
      <p>
        <strong data-audience-total>{formatNumber(p.total)}</strong> {p.total === 1 ? "contact receives" : "contacts receive"} this campaign.
        {p.opted_out_excluded > 0 && ` ${formatNumber(p.opted_out_excluded)} opted-out ${p.opted_out_excluded === 1 ? "contact is" : "contacts are"} left out.`}
      </p>
      <ul class="sample-list" aria-label="Some of these contacts">
        {p.sample.slice(0, 5).map((c) => (
          <li key={c.id}>
            {c.name || "(no name)"} <span class="muted">{c.phone}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function AudienceStep({ draft, update, errors, preview, labels }: StepProps & { labels: Label[] | null }) {
  if (labels === null) return <p class="muted">Loading labels…</p>;
  const a = draft.audience;
  if (labels.length === 0) {
    return (
      <Notice tone="warning" data-notice="no-labels">
        <p>
          This workspace has no labels yet. A campaign's audience is chosen by label: create labels on the <a href="/labels">Labels</a> page and
          give them to contacts.
        </p>
      </Notice>
    );
  }
  return (
    <div class="stack">
      <LabelChecks
        legend="Send to contacts with these labels"
        name="labels"
        all={labels}
        chosen={a.labels}
        onChosen={(ids) => update({ audience: { ...a, labels: ids, exclude_labels: a.exclude_labels.filter((id) => !ids.includes(id)) } })}
        error={errors["audience.labels"] ?? errors.labels}
      />
      <RadioGroup
        legend="Contacts must have"
        name="match"
        value={a.match}
        onValue={(v) => update({ audience: { ...a, match: v as "any" | "all" } })}
        options={[
          { value: "any", label: "Any of these labels" },
          { value: "all", label: "All of these labels" },
        ]}
      />
      <LabelChecks
        legend="Leave out contacts with these labels (optional)"
        name="exclude_labels"
        all={labels}
        chosen={a.exclude_labels}
        disabled={a.labels}
        onChosen={(ids) => update({ audience: { ...a, exclude_labels: ids } })}
        error={errors["audience.exclude_labels"] ?? errors.exclude_labels}
      />
      <section aria-label="Audience" class="panel">
        <AudienceCount preview={preview} draft={draft} />
      </section>
    </div>
  );
}

function NumberField({ label, hint, value, onValue, error, step = "any", min, max, suffix }: { label: string; hint?: string; value: number; onValue: (n: number) => void; error?: string | undefined; step?: string; min?: number; max?: number; suffix?: string }) {
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
      <p class="hint">Slower, smaller and varied sends look natural to WhatsApp and lower the risk of the number being blocked.</p>
      <div class="field-row">
        <NumberField label="Minimum delay between messages" suffix="seconds" min={0} max={3600} value={s.min_delay_s} onValue={(n) => set({ min_delay_s: n })} error={errors["settings.min_delay_s"]} />
        <NumberField label="Maximum delay between messages" suffix="seconds" min={0} max={3600} value={s.max_delay_s} onValue={(n) => set({ max_delay_s: n })} error={errors["settings.max_delay_s"]} />
      </div>
      <div class="field-row">
        <NumberField label="Batch size" hint="Messages sent before a pause." step="1" min={1} max={1000} value={s.batch_size} onValue={(n) => set({ batch_size: n })} error={errors["settings.batch_size"]} />
        <NumberField label="Pause between batches" suffix="seconds" min={0} value={s.batch_pause_s} onValue={(n) => set({ batch_pause_s: n })} error={errors["settings.batch_pause_s"]} />
      </div>
      <Checkbox
        label="Pick a variant at random for each contact"
        hint="Off: variants take turns in order. Only free-text messages have variants."
        checked={s.randomize_variants}
        onChecked={(randomize_variants) => set({ randomize_variants })}
      />
      <div class="field-row">
        <NumberField
          label="Pause automatically when failures reach"
          suffix="%"
          min={5}
          max={100}
          step="1"
          value={Number.isFinite(s.failure_threshold) ? Math.round(s.failure_threshold * 100) : Number.NaN}
          onValue={(n) => set({ failure_threshold: n / 100 })}
          error={errors["settings.failure_threshold"]}
        />
        <NumberField label="of the last" suffix="messages" step="1" min={10} max={1000} value={s.failure_window} onValue={(n) => set({ failure_window: n })} error={errors["settings.failure_window"]} />
      </div>
      <p class="panel" data-estimate aria-live="polite">
        {estimate === null ? (
          "The estimated duration appears once the audience and these settings are set."
        ) : (
          <>
            Estimated duration for {formatNumber(recipients!)} {recipients === 1 ? "message" : "messages"}: <strong>{formatDuration(estimate)}</strong>
            <span class="muted"> (at most {inbox!.throughput_cap} messages/s from this number)</span>
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
        legend="When should it send?"
        name="when"
        value={draft.when}
        onValue={(v) => update({ when: v as Draft["when"] })}
        options={[
          { value: "now", label: "Send now", hint: "Sending starts as soon as you confirm on the next page." },
          { value: "schedule", label: "Schedule", hint: "Sending starts by itself at the date and time you choose." },
          { value: "draft", label: "Save as draft", hint: "Nothing is sent; open it again later to finish or launch it." },
        ]}
      />
      {draft.when === "schedule" && (
        <fieldset class="choice-group">
          <legend>Start at</legend>
          <div class="field-row">
            <Field label="Date" type="date" value={s.date} onValue={(date) => update({ schedule: { ...s, date } })} error={errors["schedule.date"]} />
            <Field label="Time" type="time" value={s.time} onValue={(time) => update({ schedule: { ...s, time } })} error={errors["schedule.time"]} />
          </div>
          <SelectField
            label="Time zone"
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
