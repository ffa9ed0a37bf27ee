import { type CampaignStatus, stopsSending } from "../../domain/campaign-lifecycle";

/** Live progress goes out at most once per this interval per campaign (the latest state wins)... */
const LIVE_INTERVAL_MS = 250;

/**
 * Pushes a campaign's progress to the WebSockets connected to its object (hibernation API), at
 * most once per LIVE_INTERVAL_MS: changes in between are coalesced into one later message with
 * the latest state. A change to a final status (completed, paused, failed, cancelled) goes out at
 * once. The throttle lives in memory: after hibernation the next change simply goes out at once.
 */
export class LiveBroadcaster {
  private sentAt = 0;
  private last: string | null = null;
  private lastStatus: CampaignStatus | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    /** The message to send now, and the status it carries. */
    private readonly snapshot: () => { message: string; status: CampaignStatus },
  ) {}

  broadcast(): void {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const { message, status } = this.snapshot();
    const finalChange = stopsSending(status) && status !== this.lastStatus;
    const wait = this.sentAt + LIVE_INTERVAL_MS - Date.now();
    if (!finalChange && wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.broadcast();
      }, wait);
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.lastStatus = status;
    if (message === this.last) return;
    this.last = message;
    this.sentAt = Date.now();
    this.sendAll(message);
  }

  /** Sends one message to every socket now (e.g. a status the catalog changed before launch). */
  sendAll(message: string): void {
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(message);
      } catch {
        // a socket closing right now; its close handler cleans up
      }
    }
  }
}
