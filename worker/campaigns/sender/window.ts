/**
 * A launched campaign's send window as its sender applies it: either the whole campaign waits
 * while the window is closed in the window's zone, or (per-contact time zones) each recipient
 * waits for its own window, read in the contact's `timezone` attribute when that names a zone.
 */
import { nextOpening, recipientZone, windowZone } from "../../domain/send-window";
import type { CampaignConfig } from "./types";

/** Why a pending recipient waits (its `reason`) with `due_at` at its window's opening. */
export const SEND_WINDOW_REASON = "send_window";

/**
 * When a campaign whose window is read in one zone may send again: null while the window is
 * open, and for a campaign with no window or with per-contact windows.
 */
export function campaignWindowClosedUntil(config: CampaignConfig, now: number): number | null {
  const window = config.settings.send_window;
  if (!window || window.per_contact_timezone) return null;
  const opening = nextOpening(window, windowZone(window, null), now);
  return opening > now ? opening : null;
}

/**
 * For per-contact windows, a function giving when a recipient's own window opens (`now` while
 * it is open), remembering each zone's answer for this `now`; null otherwise.
 */
export function recipientOpenings(config: CampaignConfig, now: number): ((attributes: string) => number) | null {
  const window = config.settings.send_window;
  if (!window?.per_contact_timezone) return null;
  const fallback = windowZone(window, null);
  const byZone = new Map<string, number>();
  return (attributes) => {
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = JSON.parse(attributes);
      if (value && typeof value === "object") parsed = value as Record<string, unknown>;
    } catch {
      // Attributes are frozen as JSON objects; anything else has no zone.
    }
    const zone = recipientZone(parsed, fallback);
    let opening = byZone.get(zone);
    if (opening === undefined) {
      opening = nextOpening(window, zone, now);
      byZone.set(zone, opening);
    }
    return opening;
  };
}
