import { useId } from "preact/hooks";
import type { SendWindow } from "../../../../worker/domain/campaign-settings";
import { openMsPerWeek, WEEKDAYS } from "../../../../worker/domain/send-window";
import { Checkbox, ErrorText, SelectField } from "../../components/controls";
import { Field } from "../../components/field";
import { t, tn } from "../../i18n";
import { browserTimeZone, formatDateTime, formatDuration, timeZones } from "../../lib/format";
import { weekdayName } from "../../lib/send-window";
import type { LaunchPreview } from "../../types";
import type { Errors } from "./model";

const PATH = "settings.send_window";

/** The window a campaign gets when the operator turns it on: office hours on weekdays, in the browser's zone. */
export const defaultWindow = (): SendWindow => ({
  days: ["mon", "tue", "wed", "thu", "fri"],
  from: "09:00",
  to: "18:00",
  timezone: browserTimeZone(),
  per_contact_timezone: false,
});

/** The checks the editor makes before saving, keyed by the field paths the API names. */
export function windowErrors(window: SendWindow | null | undefined): Errors {
  const e: Errors = {};
  if (!window) return e;
  if (window.days.length === 0) e[`${PATH}.days`] = t("sendWindow.error.days");
  if (!window.from) e[`${PATH}.from`] = t("sendWindow.error.time");
  if (!window.to) e[`${PATH}.to`] = t("sendWindow.error.time");
  else if (window.to === window.from) e[`${PATH}.to`] = t("sendWindow.error.same");
  return e;
}

/** The send window part of the Send settings step: off by default; when on, days, hours, zone and per-contact zones. */
export function SendWindowFields({ window, onWindow, errors }: { window: SendWindow | null; onWindow: (w: SendWindow | null) => void; errors: Errors }) {
  const id = useId();
  const set = (patch: Partial<SendWindow>) => window && onWindow({ ...window, ...patch });
  const daysError = errors[`${PATH}.days`];
  return (
    <fieldset class="choice-group send-window" data-send-window>
      <legend>{t("sendWindow.legend")}</legend>
      <Checkbox
        label={t("sendWindow.enable")}
        hint={t("sendWindow.enableHint")}
        checked={window !== null}
        onChecked={(on) => onWindow(on ? defaultWindow() : null)}
      />
      {window && (
        <>
          <fieldset class="choice-group" aria-describedby={daysError ? `${id}-days-error` : undefined}>
            <legend>{t("sendWindow.days")}</legend>
            <ErrorText id={`${id}-days-error`} error={daysError} />
            <div class="label-grid">
              {WEEKDAYS.map((day) => (
                <label key={day} class="choice">
                  <input
                    type="checkbox"
                    name="send_window_days"
                    value={day}
                    checked={window.days.includes(day)}
                    onChange={(e) => set({ days: WEEKDAYS.filter((d) => (d === day ? e.currentTarget.checked : window.days.includes(d))) })}
                  />
                  <span>{weekdayName(day, "long")}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <div class="field-row">
            <Field
              label={t("sendWindow.from")}
              type="time"
              name="send_window_from"
              value={window.from}
              onValue={(from) => set({ from })}
              error={errors[`${PATH}.from`]}
            />
            <Field
              label={t("sendWindow.to")}
              hint={t("sendWindow.toHint")}
              type="time"
              name="send_window_to"
              value={window.to}
              onValue={(to) => set({ to })}
              error={errors[`${PATH}.to`]}
            />
          </div>
          <SelectField
            label={t("sendWindow.timezone")}
            name="send_window_timezone"
            value={window.timezone ?? browserTimeZone()}
            onValue={(timezone) => set({ timezone })}
            options={timeZones().map((z) => ({ value: z, label: z.replace(/_/g, " ") }))}
            error={errors[`${PATH}.timezone`]}
          />
          <Checkbox
            label={t("sendWindow.perContact")}
            hint={t("sendWindow.perContactHint")}
            checked={window.per_contact_timezone}
            onChecked={(per_contact_timezone) => set({ per_contact_timezone })}
          />
          {Object.keys(windowErrors(window)).length === 0 && (
            <p class="hint">{t("sendWindow.openPerWeek", { hours: Math.round(openMsPerWeek(window) / 360_000) / 10 })}</p>
          )}
        </>
      )}
    </fieldset>
  );
}

/** When the launch would start sending and how long it should take, from the launch preview. */
export function LaunchScheduleText({ schedule }: { schedule: LaunchPreview["schedule"] }) {
  const spanMs = Date.parse(schedule.estimated_end_at) - Date.parse(schedule.starts_at);
  const duration = schedule.estimated_days >= 2 ? tn("sendWindow.estimateDays", Math.round(schedule.estimated_days)) : formatDuration(spanMs);
  return (
    <p data-launch-schedule>
      {t("sendWindow.startsAt", { date: formatDateTime(schedule.starts_at) })}{" "}
      <span data-estimate-days={schedule.estimated_days}>{t("sendWindow.estimate", { duration, date: formatDateTime(schedule.estimated_end_at) })}</span>
    </p>
  );
}
