import { effect, signal } from "@preact/signals";
import { api, messageOf } from "../api";
import type { Campaign, LiveProgress } from "../types";
import { noticeSessionEnd, session } from "./session";

export type CampaignsState = {
  /** null until the first load finishes; newest first. */
  items: Campaign[] | null;
  loading: boolean;
  error: string | null;
};

const initial: CampaignsState = { items: null, loading: false, error: null };

export const campaigns = signal<CampaignsState>(initial);

// Another user's (or no) workspace must never see this one's campaigns.
let workspaceId: number | null = null;
effect(() => {
  const id = session.value?.workspace.id ?? null;
  if (id !== workspaceId) {
    workspaceId = id;
    campaigns.value = initial;
  }
});

/** Loads the newest 100 campaigns; `quiet` keeps the list on screen while it refreshes. */
export async function loadCampaigns({ quiet = false } = {}): Promise<void> {
  if (!quiet) campaigns.value = { ...campaigns.value, loading: true, error: null };
  try {
    const { data } = await api.get<{ data: Campaign[] }>("/api/campaigns?limit=100");
    campaigns.value = { items: data, loading: false, error: null };
  } catch (e) {
    noticeSessionEnd(e);
    campaigns.value = { ...campaigns.value, loading: false, error: messageOf(e) };
  }
}

function replace(id: number, change: (c: Campaign) => Campaign): void {
  const items = campaigns.value.items;
  if (!items) return;
  campaigns.value = { ...campaigns.value, items: items.map((c) => (c.id === id ? change(c) : c)) };
}

/** Applies a message of the campaign's live socket. */
export function applyLive(id: number, live: LiveProgress): void {
  replace(id, (c) => ({
    ...c,
    status: live.status,
    status_reason: live.reason,
    // The note explains a wait while sending; a change of status ends it.
    status_note: live.status === c.status ? c.status_note : null,
    progress: live.progress,
  }));
}

export type CampaignAction = "pause" | "resume" | "cancel";

/** Pauses, resumes or cancels; the list shows the campaign as the API answers. Throws ApiError. */
export async function actOn(id: number, action: CampaignAction): Promise<Campaign> {
  try {
    const updated = await api.post<Campaign>(`/api/campaigns/${id}/${action}`);
    replace(id, () => updated);
    return updated;
  } catch (e) {
    noticeSessionEnd(e);
    throw e;
  }
}
