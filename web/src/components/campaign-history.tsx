import { useEffect, useState } from "preact/hooks";
import { api, messageOf } from "../api";
import { type MessageKey, t } from "../i18n";
import { formatDateTime } from "../lib/format";
import { noticeSessionEnd } from "../state/session";
import type { AuditEvent, AuditPage } from "../types";
import { FormError } from "./form-error";

const PAGE_SIZE = 50;

/** Who acted, as the History shows it: Herald, the user, or the user through an API token. */
export function actorLabel(actor: AuditEvent["actor"]): string {
  if (actor.type === "system") return t("audit.actor.system");
  const user = actor.user_name || actor.user_email || t("audit.actor.removedUser");
  if (actor.type === "user") return user;
  return actor.token_name === null
    ? t("audit.actor.viaRemovedToken", { user, id: actor.token_id ?? "?" })
    : t("audit.actor.viaToken", { user, token: actor.token_name });
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** What was done, in the UI's language ("paused the campaign", "scheduled the campaign for …"). */
export function actionLabel(e: AuditEvent): string {
  const d = e.detail;
  if (e.action === "campaign.create" && typeof d.duplicate_of === "number") return t("audit.action.campaign.duplicate", { id: d.duplicate_of });
  if (e.action === "campaign.launch" && d.scheduled === true) return t("audit.action.campaign.start");
  if (e.action === "campaign.schedule") return t("audit.action.campaign.schedule", { at: formatDateTime(str(d.scheduled_at)) });
  if (e.action.startsWith("campaign.")) return t(`audit.action.${e.action}` as MessageKey);
  return t("audit.action.other", { action: e.action });
}

/** "<time> — <who> <did what> (<reason>)" */
function HistoryItem({ event }: { event: AuditEvent }) {
  const reason = str(event.detail.reason);
  return (
    <li data-action={event.action} data-actor={event.actor.type}>
      <time dateTime={event.at}>{formatDateTime(event.at)}</time> — <strong>{actorLabel(event.actor)}</strong> {actionLabel(event)}
      {reason && <span class="muted"> ({reason})</span>}
    </li>
  );
}

/** The campaign's audit trail, newest first; reloaded when its status changes. */
export function CampaignHistory({ campaignId, status }: { campaignId: number; status: string }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = (cursor: string | null, signal?: AbortSignal) => {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) q.set("cursor", cursor);
    return api
      .get<AuditPage>(`/api/campaigns/${campaignId}/history?${q}`, signal)
      .then((page) => {
        setEvents((old) => (cursor && old ? [...old, ...page.data] : page.data));
        setNext(page.next_cursor);
        setError(null);
      })
      .catch((e) => {
        if (signal?.aborted) return;
        noticeSessionEnd(e);
        setError(messageOf(e));
      });
  };

  useEffect(() => {
    const abort = new AbortController();
    void load(null, abort.signal);
    return () => abort.abort();
  }, [campaignId, status]);

  return (
    <section aria-labelledby="history-heading" data-history>
      <h2 id="history-heading">{t("audit.history.heading")}</h2>
      <FormError message={error && t("audit.history.loadFailed", { message: error })} />
      {events === null ? (
        !error && <p class="muted">{t("audit.history.loading")}</p>
      ) : events.length === 0 ? (
        <p class="muted">{t("audit.history.empty")}</p>
      ) : (
        <ol class="history">
          {events.map((e) => (
            <HistoryItem key={e.id} event={e} />
          ))}
        </ol>
      )}
      {next && (
        <button type="button" class="button-secondary" onClick={() => void load(next)}>
          {t("audit.history.more")}
        </button>
      )}
    </section>
  );
}
