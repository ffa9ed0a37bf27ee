import { fitTitle } from "../../../worker/domain/campaign-title";
import { api, messageOf } from "../api";
import { t, tn } from "../i18n";
import type { CampaignDetail, CampaignStatus, LiveProgress } from "../types";
import { noticeSessionEnd } from "./session";
import { type ListState, workspaceStore } from "./workspace-store";

export type CampaignFilter = { q: string; status: CampaignStatus | "" };

/** Newest first. */
export type CampaignsState = ListState<CampaignDetail> & {
  /** Where the next page starts, or null on the last page. */
  next: string | null;
  filter: CampaignFilter;
};

const PAGE = 25;
const initial: CampaignsState = { items: null, next: null, filter: { q: "", status: "" }, loading: false, error: null };

export const campaigns = workspaceStore<CampaignsState>(initial);

function listPath(filter: CampaignFilter, limit: number, cursor?: string): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (filter.q.trim()) q.set("q", filter.q.trim());
  if (filter.status) q.set("status", filter.status);
  if (cursor) q.set("cursor", cursor);
  return `/api/campaigns?${q}`;
}

let generation = 0;
/** A page being appended; a quiet refresh meanwhile would drop it, so it waits. */
let loadingMore = false;

/**
 * Loads the first page for `filter` (the current one by default). `quiet` keeps the list on
 * screen and refreshes as many campaigns as are shown.
 */
export async function loadCampaigns({ quiet = false, filter }: { quiet?: boolean; filter?: CampaignFilter } = {}): Promise<void> {
  if (quiet && !filter && loadingMore) return;
  const f = filter ?? campaigns.value.filter;
  const mine = ++generation;
  const shown = quiet && !filter ? Math.min(Math.max(campaigns.value.items?.length ?? 0, PAGE), 100) : PAGE;
  campaigns.value = { ...campaigns.value, filter: f, ...(quiet ? {} : { loading: true, error: null }) };
  try {
    const { data, next_cursor } = await api.get<{ data: CampaignDetail[]; next_cursor: string | null }>(listPath(f, shown));
    if (mine !== generation) return;
    campaigns.value = { ...campaigns.value, items: data, next: next_cursor, loading: false, error: null };
  } catch (e) {
    noticeSessionEnd(e);
    if (mine === generation) campaigns.value = { ...campaigns.value, loading: false, error: messageOf(e) };
  }
}

/** Appends the next page. */
export async function loadMoreCampaigns(): Promise<void> {
  const { next, filter, items } = campaigns.value;
  if (!next) return;
  const mine = ++generation;
  loadingMore = true;
  campaigns.value = { ...campaigns.value, loading: true, error: null };
  try {
    const page = await api.get<{ data: CampaignDetail[]; next_cursor: string | null }>(listPath(filter, PAGE, next));
    if (mine !== generation) return;
    campaigns.value = { ...campaigns.value, items: [...(items ?? []), ...page.data], next: page.next_cursor, loading: false };
  } catch (e) {
    noticeSessionEnd(e);
    if (mine === generation) campaigns.value = { ...campaigns.value, loading: false, error: messageOf(e) };
  } finally {
    loadingMore = false;
  }
}

export function replaceCampaign(updated: CampaignDetail): void {
  const items = campaigns.value.items;
  if (!items) return;
  campaigns.value = { ...campaigns.value, items: items.map((c) => (c.id === updated.id ? updated : c)) };
}

/** Applies a message of the campaign's live socket; a new status brings the campaign's allowed actions from the server. */
export function applyLive(id: number, live: LiveProgress): void {
  const current = campaigns.value.items?.find((c) => c.id === id);
  if (!current) return;
  replaceCampaign({
    ...current,
    status: live.status,
    status_reason: live.reason,
    // The note explains a wait while sending; a change of status ends it.
    status_note: live.note !== undefined ? live.note : live.status === current.status ? current.status_note : null,
    preparing: live.preparing ?? false,
    progress: live.progress,
  });
  if (live.status !== current.status) {
    api.get<CampaignDetail>(`/api/campaigns/${id}`).then(replaceCampaign, noticeSessionEnd);
  }
}

export type CampaignAction = "pause" | "resume" | "cancel" | "unschedule";

/** Pauses, resumes, cancels or unschedules; answers the campaign as the API does. Throws ApiError. */
export async function actOn(id: number, action: CampaignAction): Promise<CampaignDetail & { in_flight?: number }> {
  try {
    // A pause or cancel answers 202 with `in_flight` when sends were still out after its wait.
    const updated = await api.post<CampaignDetail & { in_flight?: number }>(`/api/campaigns/${id}/${action}`);
    replaceCampaign(updated);
    return updated;
  } catch (e) {
    noticeSessionEnd(e);
    throw e;
  }
}

/**
 * What the operator is told after an action: `now` (the campaign's new status in words), and for
 * a pause or cancel that answered before every send in flight settled, that those may still arrive.
 */
export const afterActionStatus = (now: string, updated: { in_flight?: number }) =>
  updated.in_flight ? `${now} ${tn("campaigns.inFlight", updated.in_flight)}` : now;

/** "Copy of <title>" in the UI's language, cut to the title limit. */
const copyTitle = (title: string) => fitTitle(t("retarget.copyTitle", { title }));

/** Actions the campaign pages offer as buttons. */
export type ButtonAction = CampaignAction | "duplicate" | "delete";

const CONFIRM: Partial<Record<ButtonAction, (title: string) => string>> = {
  cancel: (title) => t("campaigns.confirmCancel", { title }),
  delete: (title) => t("campaigns.confirmDelete", { title }),
};

/**
 * Carries out an operator's action after asking where it cannot be undone. Answers where to go
 * next (the copy's editor, the list) or the campaign as the API now shows it; null when the
 * operator declined. Throws ApiError.
 */
export async function runAction(
  c: { id: number; title: string },
  action: ButtonAction,
): Promise<{ goTo: string } | { updated: CampaignDetail & { in_flight?: number } } | { deleted: true } | null> {
  const question = CONFIRM[action];
  if (question && !window.confirm(question(c.title))) return null;
  try {
    if (action === "duplicate") {
      const copy = await api.post<CampaignDetail>(`/api/campaigns/${c.id}/duplicate`, { title: copyTitle(c.title) });
      return { goTo: `/campaigns/${copy.id}/edit` };
    }
    if (action === "delete") {
      await api.delete(`/api/campaigns/${c.id}`);
      const items = campaigns.value.items;
      if (items) campaigns.value = { ...campaigns.value, items: items.filter((x) => x.id !== c.id) };
      return { deleted: true };
    }
  } catch (e) {
    noticeSessionEnd(e);
    throw e;
  }
  return { updated: await actOn(c.id, action) };
}
