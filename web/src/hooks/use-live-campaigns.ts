import { useEffect } from "preact/hooks";
import { applyLive, loadCampaigns } from "../state/campaigns";
import type { Campaign, LiveProgress } from "../types";

/** Campaigns followed over WebSockets at once; more than that are refreshed by polling. */
const MAX_SOCKETS = 20;
const POLL_MS = 5_000;
const RETRY_MS = 3_000;
/** Deliveries, reads and replies keep arriving after the last send: an ended campaign is followed this long. */
const AFTER_END_MS = 3 * 86_400_000;

/** Scheduled, sending or paused campaigns, and those that ended lately (or just now, on this page). */
export function followed(c: Pick<Campaign, "status" | "completed_at">, now = Date.now()): boolean {
  if (c.status === "draft") return false;
  if (c.status === "scheduled" || c.status === "sending" || c.status === "paused") return true;
  return c.completed_at === null || now - Date.parse(c.completed_at) < AFTER_END_MS;
}

/**
 * Follows one campaign's live socket (GET /api/campaigns/:id/live): each progress message goes to
 * `onProgress`; a dropped socket calls `onDrop` and reconnects after a few seconds. Returns the
 * function that stops following.
 */
export function followLive(id: number, onProgress: (live: LiveProgress) => void, onDrop: () => void): () => void {
  let closed = false;
  let socket: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const open = () => {
    if (closed) return;
    const url = new URL(`/api/campaigns/${id}/live`, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    socket = ws;
    ws.onmessage = (e) => {
      if (typeof e.data !== "string" || !e.data.startsWith("{")) return;
      try {
        const live = JSON.parse(e.data) as LiveProgress;
        if (live.type === "progress") onProgress(live);
      } catch {
        // not a progress message
      }
    };
    ws.onclose = () => {
      socket = null;
      if (closed) return;
      onDrop();
      timer = setTimeout(open, RETRY_MS);
    };
  };
  open();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    socket?.close(1000, "leaving");
  };
}

/**
 * Keeps the progress of the listed campaigns that can still change up to date: a live socket each
 * for the newest MAX_SOCKETS, polling the list for the rest.
 */
export function useLiveCampaigns(items: Campaign[] | null): void {
  const active = (items ?? []).filter((c) => followed(c)).map((c) => c.id);
  const key = active.join(",");
  useEffect(() => {
    const ids = key ? key.split(",").map(Number) : [];
    if (ids.length === 0) return;
    // A dropped socket refreshes the list; a campaign that ended drops out of the active set.
    const stops = ids.slice(0, MAX_SOCKETS).map((id) =>
      followLive(
        id,
        (live) => applyLive(id, live),
        () => void loadCampaigns({ quiet: true }),
      ),
    );
    const poll = ids.length > MAX_SOCKETS ? setInterval(() => void loadCampaigns({ quiet: true }), POLL_MS) : null;
    return () => {
      if (poll) clearInterval(poll);
      for (const stop of stops) stop();
    };
  }, [key]);
}
