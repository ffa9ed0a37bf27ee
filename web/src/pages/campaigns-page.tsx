import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../api";
import { useLiveCampaigns } from "../hooks/use-live-campaigns";
import { useTitle } from "../hooks/use-title";
import { actOn, campaigns, loadCampaigns, type CampaignAction } from "../state/campaigns";
import type { Campaign } from "../types";

const STATUS_LABEL: Record<Campaign["status"], string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  sending: "Sending",
  paused: "Paused",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

const ACTIONS: Record<Campaign["status"], CampaignAction[]> = {
  draft: ["cancel"],
  scheduled: ["cancel"],
  sending: ["pause", "cancel"],
  paused: ["resume", "cancel"],
  completed: [],
  failed: [],
  cancelled: [],
};

const ACTION_LABEL: Record<CampaignAction, string> = { pause: "Pause", resume: "Resume", cancel: "Cancel" };

const percent = (n: number, of: number) => (of > 0 ? `${Math.round((n / of) * 100)} %` : "–");
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "");

function Progress({ c }: { c: Campaign }) {
  const p = c.progress;
  if (p.total === 0) return <span class="muted">{c.status === "scheduled" ? `Starts ${when(c.scheduled_at)}` : "Not launched"}</span>;
  // Recipients the campaign is done with: sent (whatever came after), failed, skipped or unknown.
  const done = p.sent + p.failed + p.skipped + p.unknown;
  const extra = (["skipped", "cancelled", "unknown"] as const).filter((k) => p[k] > 0);
  return (
    <div class="campaign-progress">
      <progress max={p.total} value={done} aria-label={`${c.title}: ${done} of ${p.total} handled`} />
      <dl class="counters">
        <div>
          <dt>Sent</dt>
          <dd data-counter="sent">{p.sent}</dd>
        </div>
        <div>
          <dt>Delivered</dt>
          <dd data-counter="delivered">{p.delivered}</dd>
        </div>
        <div>
          <dt>Read</dt>
          <dd data-counter="read">{p.read}</dd>
        </div>
        <div>
          <dt>Replied</dt>
          <dd data-counter="replied">{p.replied}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd data-counter="failed">{p.failed}</dd>
        </div>
        {extra.map((k) => (
          <div key={k}>
            <dt>{k[0]!.toUpperCase() + k.slice(1)}</dt>
            <dd data-counter={k}>{p[k]}</dd>
          </div>
        ))}
        <div>
          <dt>Of</dt>
          <dd data-counter="total">{p.total}</dd>
        </div>
      </dl>
      <p class="rates muted">
        Delivered {percent(p.delivered, p.sent)} · read {percent(p.read, p.delivered)} · replied {percent(p.replied, p.sent)}
      </p>
    </div>
  );
}

function Row({ c, onAction, busy }: { c: Campaign; onAction: (c: Campaign, a: CampaignAction) => void; busy: boolean }) {
  const note = c.status_note ?? c.status_reason;
  return (
    <li class="campaign" data-campaign={c.id}>
      <div class="campaign-head">
        <h3 class="campaign-title">{c.title}</h3>
        <span class={`badge badge-${c.status}`} data-status={c.status}>
          {STATUS_LABEL[c.status]}
        </span>
      </div>
      {note && <p class="campaign-note">{note}</p>}
      <Progress c={c} />
      {ACTIONS[c.status].length > 0 && (
        <div class="campaign-actions">
          {ACTIONS[c.status].map((a) => (
            <button key={a} type="button" class={a === "cancel" ? "button-danger" : ""} disabled={busy} onClick={() => onAction(c, a)}>
              {ACTION_LABEL[a]}
            </button>
          ))}
        </div>
      )}
    </li>
  );
}

export function CampaignsPage() {
  useTitle("Campaigns");
  useEffect(() => {
    void loadCampaigns();
  }, []);
  const { items, loading, error } = campaigns.value;
  useLiveCampaigns(items);
  const [busy, setBusy] = useState<number | null>(null);
  const [status, setStatus] = useState("");
  const [actionError, setActionError] = useState<string | null>(null);

  const onAction = async (c: Campaign, action: CampaignAction) => {
    if (action === "cancel" && !window.confirm(`Cancel “${c.title}”? Recipients not sent yet will not be.`)) return;
    setBusy(c.id);
    setActionError(null);
    setStatus("");
    try {
      const updated = await actOn(c.id, action);
      setStatus(`“${updated.title}” is ${STATUS_LABEL[updated.status].toLowerCase()}.`);
    } catch (e) {
      setActionError(`Could not ${ACTION_LABEL[action].toLowerCase()} “${c.title}”: ${messageOf(e)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <h1>Campaigns</h1>
      <p class="muted">Progress updates live while a campaign sends. A read message also counts as delivered and sent.</p>
      <p class="status" role="status">
        {status}
      </p>
      {actionError && (
        <div class="alert" role="alert">
          {actionError}
        </div>
      )}
      <section aria-labelledby="all-campaigns-heading" aria-busy={loading}>
        <h2 id="all-campaigns-heading">All campaigns</h2>
        {error && (
          <div class="alert" role="alert">
            Could not load campaigns: {error}{" "}
            <button type="button" class="button-link" onClick={() => void loadCampaigns()}>
              Try again
            </button>
          </div>
        )}
        {items === null ? (
          loading && <p class="muted">Loading campaigns…</p>
        ) : items.length === 0 ? (
          <p class="muted">No campaigns yet.</p>
        ) : (
          <ul class="campaign-list">
            {items.map((c) => (
              <Row key={c.id} c={c} onAction={(x, a) => void onAction(x, a)} busy={busy === c.id} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
