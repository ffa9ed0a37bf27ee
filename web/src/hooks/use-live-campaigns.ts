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
export function followed(c: Campaign, now = Date.now()): boolean {
  if (c.status === "draft") return false;
  if (c.status === "scheduled" || c.status === "sending" || c.status === "paused") return true;
  return c.completed_at === null || now - Date.parse(c.completed_at) < AFTER_END_MS;
}

/**
 * Keeps the progress of the campaigns that can still change up to date: a live socket each
 * (GET /api/campaigns/:id/live) for the newest MAX_SOCKETS, polling the list for the rest.
 */
export function useLiveCampaigns(items: Campaign[] | null): void {
  const active = (items ?? []).filter((c) => followed(c)).map((c) => c.id);
  const key = active.join(",");
  useEffect(() => {
    const ids = key ? key.split(",").map(Number) : [];
    if (ids.length === 0) return;
    let closed = false;
    const sockets = new Map<number, WebSocket>();
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const open = (id: number) => {
      if (closed) return;
      const url = new URL(`/api/campaigns/${id}/live`, location.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(url);
      sockets.set(id, ws);
      ws.onmessage = (e) => {
        if (typeof e.data !== "string" || !e.data.startsWith("{")) return;
        try {
          const live = JSON.parse(e.data) as LiveProgress;
          if (live.type === "progress") applyLive(id, live);
        } catch {
          // not a progress message
        }
      };
      ws.onclose = () => {
        sockets.delete(id);
        if (closed) return;
        // A dropped socket: refresh the list and follow the campaign again. One that ended drops
        // out of the active set, and this effect starts over without it.
        const t = setTimeout(() => {
          timers.delete(t);
          void loadCampaigns({ quiet: true });
          open(id);
        }, RETRY_MS);
        timers.add(t);
      };
    };
    ids.slice(0, MAX_SOCKETS).forEach(open);
    const poll = ids.length > MAX_SOCKETS ? setInterval(() => void loadCampaigns({ quiet: true }), POLL_MS) : null;
    return () => {
      closed = true;
      if (poll) clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      for (const ws of sockets.values()) ws.close(1000, "leaving");
    };
  }, [key]);
}
