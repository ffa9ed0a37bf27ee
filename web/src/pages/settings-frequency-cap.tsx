import type { TargetedSubmitEvent } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { z } from "zod";
import { FREQUENCY_CAP_BOUNDS, SUGGESTED_FREQUENCY_CAP } from "../../../worker/domain/launch-skips";
import type { refusalCountView } from "../../../worker/views/accounts";
import { api, messageOf } from "../api";
import { Notice, RadioGroup, SaveButton } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useFormSubmission } from "../hooks/use-form-submission";
import { t, tn } from "../i18n";
import { noticeSessionEnd } from "../state/session";
import type { Workspace } from "../types";

type RefusalCount = z.output<typeof refusalCountView>;
const CAP_FIELDS = ["frequency_cap_messages", "frequency_cap_days"] as const;
type CapFields = (typeof CAP_FIELDS)[number];
type Form = { on: boolean; messages: string; days: string };

const formOf = (w: Workspace): Form => ({
  on: w.frequency_cap_messages !== null,
  messages: String(w.frequency_cap_messages ?? SUGGESTED_FREQUENCY_CAP.messages),
  days: String(w.frequency_cap_days),
});

/** A whole number typed in a field within `bounds`, or null. */
function within(text: string, bounds: { min: number; max: number }): number | null {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  return n >= bounds.min && n <= bounds.max ? n : null;
}

/** The cap in words: "At most 1 campaign message per contact in 7 days", or "No cap". */
const capText = (w: Workspace) =>
  w.frequency_cap_messages === null
    ? t("capPrefs.cap.none")
    : tn("capPrefs.cap.value", w.frequency_cap_messages, { period: tn("capPrefs.cap.period", w.frequency_cap_days) });

/** How many messages WhatsApp refused for its per-user marketing limit lately: why the cap matters. */
function Refusals() {
  const [count, setCount] = useState<RefusalCount | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<RefusalCount>("/api/workspace/marketing-refusals").then(setCount, (e) => {
      noticeSessionEnd(e);
      setError(messageOf(e));
    });
  }, []);
  if (error) return <FormError message={t("capPrefs.refusals.failed", { message: error })} />;
  if (!count) return null;
  return (
    <Notice tone={count.count > 0 ? "warning" : "info"} data-notice="marketing-refusals">
      <p>
        <strong>{t("capPrefs.refusals.heading")}</strong>
      </p>
      <p data-refusals={count.count}>
        {count.count === 0 ? t("capPrefs.refusals.none", { days: count.days }) : tn("capPrefs.refusals.some", count.count, { days: count.days })}
      </p>
    </Notice>
  );
}

/**
 * The workspace's frequency cap: admins turn it on (with the 1-per-7-days suggestion one click
 * away) or off; everyone sees it and how many messages WhatsApp refused for its marketing limit.
 */
export function FrequencyCapSection({ isAdmin }: { isAdmin: boolean }) {
  const [saved, setSaved] = useState<Workspace | null>(null);
  const [form, setForm] = useState<Form>({ on: false, messages: "", days: "" });
  const [loadError, setLoadError] = useState<string | null>(null);
  const { errors, formError, status, setStatus, pending, formRef, refuse, clearErrors, submit } = useFormSubmission({ fields: CAP_FIELDS });

  const show = (w: Workspace) => {
    setSaved(w);
    setForm(formOf(w));
  };

  useEffect(() => {
    api.get<Workspace>("/api/workspace").then(show, (e) => {
      noticeSessionEnd(e);
      setLoadError(messageOf(e));
    });
  }, []);

  const edit = (change: Partial<Form>, clears: CapFields[] = []) => {
    setForm((f) => ({ ...f, ...change }));
    setStatus("");
    clearErrors(...clears);
  };

  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const messages = within(form.messages, FREQUENCY_CAP_BOUNDS.messages);
    const days = within(form.days, FREQUENCY_CAP_BOUNDS.days);
    if (form.on && (messages === null || days === null)) {
      return refuse({
        ...(messages === null ? { frequency_cap_messages: t("capPrefs.cap.messagesHint") } : {}),
        ...(days === null ? { frequency_cap_days: t("capPrefs.cap.daysHint") } : {}),
      });
    }
    return submit(async () => {
      const body = form.on ? { frequency_cap_messages: messages, frequency_cap_days: days } : { frequency_cap_messages: null };
      show(await api.patch<Workspace>("/api/workspace", body));
      return t("capPrefs.cap.saved");
    });
  };

  const { messages: messageBounds, days: dayBounds } = FREQUENCY_CAP_BOUNDS;
  return (
    <section class="panel" aria-labelledby="frequency-cap-heading" data-section="frequency-cap">
      <h2 id="frequency-cap-heading">{t("capPrefs.cap.heading")}</h2>
      <p class="muted">{t("capPrefs.cap.intro")}</p>
      <Refusals />
      {loadError && <FormError message={t("settings.loadFailed", { message: loadError })} />}
      {!saved ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : isAdmin ? (
        <form class="stack settings-form" onSubmit={onSubmit} ref={formRef} noValidate>
          <FormError message={formError} />
          <RadioGroup
            legend={t("capPrefs.cap.choice")}
            name="frequency_cap"
            value={form.on ? "on" : "off"}
            onValue={(v) => edit({ on: v === "on" }, ["frequency_cap_messages", "frequency_cap_days"])}
            options={[
              { value: "off", label: t("capPrefs.cap.off"), hint: t("capPrefs.cap.offHint") },
              { value: "on", label: t("capPrefs.cap.on") },
            ]}
          />
          {form.on && (
            <div class="field-row">
              <Field
                label={t("capPrefs.cap.messages")}
                hint={t("capPrefs.cap.messagesHint")}
                type="number"
                inputMode="numeric"
                min={messageBounds.min}
                max={messageBounds.max}
                step={1}
                value={form.messages}
                onValue={(v) => edit({ messages: v }, ["frequency_cap_messages"])}
                error={errors.frequency_cap_messages}
                name="frequency_cap_messages"
                class="input-short"
              />
              <Field
                label={t("capPrefs.cap.days")}
                hint={t("capPrefs.cap.daysHint")}
                type="number"
                inputMode="numeric"
                min={dayBounds.min}
                max={dayBounds.max}
                step={1}
                value={form.days}
                onValue={(v) => edit({ days: v }, ["frequency_cap_days"])}
                error={errors.frequency_cap_days}
                name="frequency_cap_days"
                class="input-short"
              />
            </div>
          )}
          <div class="suggestion">
            <p class="hint">{t("capPrefs.cap.suggestion")}</p>
            <button
              type="button"
              class="button-secondary"
              onClick={() =>
                edit({ on: true, messages: String(SUGGESTED_FREQUENCY_CAP.messages), days: String(SUGGESTED_FREQUENCY_CAP.days) }, [
                  "frequency_cap_messages",
                  "frequency_cap_days",
                ])
              }
            >
              {t("capPrefs.cap.useSuggestion")}
            </button>
          </div>
          <div>
            <SaveButton pending={pending} label={t("capPrefs.cap.save")} />
          </div>
        </form>
      ) : (
        <>
          <p class="muted">{t("capPrefs.cap.adminsOnly")}</p>
          <dl class="summary">
            <div class="summary-row">
              <dt>{t("capPrefs.cap.current")}</dt>
              <dd data-frequency-cap>{capText(saved)}</dd>
            </div>
          </dl>
        </>
      )}
      <p class="status" role="status">
        {status}
      </p>
    </section>
  );
}
