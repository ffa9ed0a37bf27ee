/** A campaign's send window as the pages show it: weekday names, a summary and the waiting note, in the page's language. */
import type { SendWindow } from "../../../worker/domain/campaign-settings";
import { WEEKDAYS, type Weekday, windowWaitUntil } from "../../../worker/domain/send-window";
import { locale, t } from "../i18n";
import { formatDateTime } from "./format";

/** A weekday's name in the page's language, e.g. "Monday" / "segunda-feira" (short: "Mon" / "seg."). */
export function weekdayName(day: Weekday, width: "long" | "short"): string {
  // 2024-01-01 was a Monday.
  const date = Date.UTC(2024, 0, 1 + WEEKDAYS.indexOf(day));
  return new Intl.DateTimeFormat(locale.value, { weekday: width, timeZone: "UTC" }).format(date);
}

/** The window in a few words, for the campaign's summary. */
export function windowSummary(window: SendWindow): string {
  const vars = {
    days: window.days.map((d) => weekdayName(d, "short")).join(", "),
    from: window.from,
    to: window.to,
    zone: window.timezone ? window.timezone.replace(/_/g, " ") : t("sendWindow.campaignZone"),
  };
  return t(window.per_contact_timezone ? "sendWindow.summaryPerContact" : "sendWindow.summary", vars);
}

/** The server's note that a campaign waits for its send window, said in the page's language; null for any other note. */
export function windowWaitText(note: string | null | undefined): string | null {
  const until = windowWaitUntil(note);
  return until ? t("sendWindow.waitingUntil", { date: formatDateTime(until) }) : null;
}
