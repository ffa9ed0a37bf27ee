import type { TargetedSubmitEvent } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { api, fieldErrors, messageOf, request } from "../api";
import { Checkbox, Notice, SaveButton, SelectField } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { type BubbleContent, WhatsAppBubble } from "../components/whatsapp-bubble";
import { useTitle } from "../hooks/use-title";
import { locale, type MessageKey, t, tn } from "../i18n";
import { noticeSessionEnd, session } from "../state/session";
import type { Inbox } from "../types";

/** What a simulated contact's phone shows (GET /api/sandbox/inboxes/:id/phones/:wa_id/messages). */
type PhoneButton = { type: string; text: string; url?: string; payload?: string };
type PhoneContent =
  | { type: "text"; body: string }
  | { type: "template"; name: string; language: string; header: BubbleContent["header"]; body: string; footer: string | null; buttons: PhoneButton[] }
  | { type: "button"; text: string; payload: string };
type PhoneContact = { id: number; name: string; opted_out: boolean; marketing_stopped: boolean } | null;
type Phone = { wa_id: string; phone: string; contact: PhoneContact; last_at: number; messages: number; last_direction: "out" | "in"; last_preview: string };
type PhoneMessage = {
  id: number;
  at: number;
  direction: "out" | "in";
  wamid: string;
  status: string;
  content: PhoneContent;
  context_wamid: string | null;
  campaign: { id: number; title: string; recipient_id: number } | null;
};
type Conversation = { wa_id: string; phone: string; contact: PhoneContact; marketing_stopped: boolean; data: PhoneMessage[] };

/** The scenario fields this page edits (GET/PUT /api/sandbox/inboxes/:id/scenario has more). */
type Scenario = {
  webhooks_enabled: boolean;
  throughput_cap: number;
  random_failure_rate: number;
  failed_rate: number;
  unread_rate: number;
  reply_rate: number;
  opt_out_rate: number;
  sent_delay_ms: [number, number];
  delivered_delay_ms: [number, number];
  read_delay_ms: [number, number];
  reply_delay_ms: [number, number];
};

const POLL_MS = 2_500;
const STOP = "STOP";

const sandboxInboxes = (inboxes: Inbox[]) => inboxes.filter((i) => i.provider === "sandbox");
const base = (inboxId: number) => `/api/sandbox/inboxes/${inboxId}`;

function formatAt(ms: number): string {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(locale.value, today ? { timeStyle: "short" } : { dateStyle: "short", timeStyle: "short" }).format(d);
}

const OUT_STATUS: Record<string, MessageKey> = {
  accepted: "sandbox.status.accepted",
  sent: "sandbox.status.sent",
  delivered: "sandbox.status.delivered",
  read: "sandbox.status.read",
  failed: "sandbox.status.failed",
};

/** Who a phone belongs to, as the list and the conversation name it. */
const phoneName = (p: { phone: string; contact: PhoneContact }) => p.contact?.name || p.phone;

function bubbleOf(content: PhoneContent, withQuickReplies: boolean): BubbleContent {
  if (content.type === "text") return { body: content.body };
  if (content.type === "button") return { body: content.text };
  return {
    header: content.header,
    body: content.body,
    footer: content.footer,
    buttons: content.buttons.filter((b) => withQuickReplies || b.type !== "QUICK_REPLY"),
  };
}

const previewOf = (content: PhoneContent) => (content.type === "button" ? content.text : content.body);

function Message({
  m,
  all,
  name,
  onTap,
  onQuote,
  busy,
}: {
  m: PhoneMessage;
  all: PhoneMessage[];
  name: string;
  onTap: (m: PhoneMessage, b: PhoneButton) => void;
  onQuote: (m: PhoneMessage) => void;
  busy: boolean;
}) {
  const received = m.direction === "out";
  const quickReplies = m.content.type === "template" ? m.content.buttons.filter((b) => b.type === "QUICK_REPLY") : [];
  const quoted = m.context_wamid ? all.find((x) => x.wamid === m.context_wamid) : undefined;
  const parts = [formatAt(m.at)];
  if (m.content.type === "template") parts.unshift(t("sandbox.msg.template", { name: m.content.name }));
  if (received && OUT_STATUS[m.status]) parts.push(t(OUT_STATUS[m.status]!));
  if (!received) parts.unshift(m.content.type === "button" ? t("sandbox.msg.tapped", { name }) : t("sandbox.msg.sentBy", { name }));
  if (!received && m.status === "read") parts.push(t("sandbox.status.readByBusiness"));
  return (
    <li class={`sandbox-msg ${received ? "sandbox-msg-received" : "sandbox-msg-sent"}`} data-message={m.direction} data-wamid={m.wamid}>
      {m.context_wamid && (
        <p class="sandbox-quote">{quoted ? t("sandbox.msg.quoting", { text: previewOf(quoted.content) }) : t("sandbox.msg.quotingUnknown")}</p>
      )}
      <WhatsAppBubble content={bubbleOf(m.content, quickReplies.length === 0)} caption={parts.join(" · ")} />
      {quickReplies.length > 0 && (
        <div class="sandbox-quick-replies" role="group" aria-label={t("sandbox.msg.quickReplies", { name })}>
          {quickReplies.map((b) => (
            <button key={b.text} type="button" class="sandbox-quick-reply" disabled={busy} onClick={() => onTap(m, b)}>
              {b.text}
            </button>
          ))}
        </div>
      )}
      {m.campaign && (
        <p class="sandbox-campaign">
          {t("sandbox.msg.fromCampaign")} <a href={`/campaigns/${m.campaign.id}`}>{m.campaign.title}</a>
        </p>
      )}
      {received && (
        <button type="button" class="button-link sandbox-reply-to" onClick={() => onQuote(m)}>
          {t("sandbox.msg.replyTo")}
        </button>
      )}
    </li>
  );
}

function ConversationPanel({ inboxId, waId, onSent }: { inboxId: number; waId: string; onSent: () => void }) {
  const [chat, setChat] = useState<Conversation | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [textError, setTextError] = useState<string | undefined>(undefined);
  const [sendError, setSendError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [quote, setQuote] = useState<PhoneMessage | null>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const inputRef = useRef<HTMLDivElement>(null);
  const lastCount = useRef(0);

  // Only the newest request's answer is shown: polls can overlap, and the phone can change meanwhile.
  const latest = useRef(0);
  const load = async (quiet: boolean) => {
    const mine = ++latest.current;
    try {
      const next = await api.get<Conversation>(`${base(inboxId)}/phones/${waId}/messages`);
      if (mine !== latest.current) return;
      setChat(next);
      setLoadError(null);
    } catch (e) {
      noticeSessionEnd(e);
      if (!quiet && mine === latest.current) setLoadError(messageOf(e));
    }
  };

  useEffect(() => {
    setChat(null);
    setQuote(null);
    setText("");
    setTextError(undefined);
    setSendError(null);
    setStatus("");
    lastCount.current = 0;
    void load(false);
    const timer = setInterval(() => {
      if (!document.hidden) void load(true);
    }, POLL_MS);
    return () => {
      clearInterval(timer);
      latest.current++;
    };
  }, [inboxId, waId]);

  // New messages scroll into view.
  useEffect(() => {
    const n = chat?.data.length ?? 0;
    if (n > lastCount.current && listRef.current) listRef.current.scrollTop = listRef.current.scrollHeight;
    lastCount.current = n;
  }, [chat]);

  const name = chat ? phoneName(chat) : `+${waId}`;

  const write = async (body: { text: string } | { button: { text: string; payload?: string } }, replyTo: string | null, done: string) => {
    setBusy(true);
    setSendError(null);
    setTextError(undefined);
    setStatus("");
    try {
      await api.post(`${base(inboxId)}/inbound`, { from: waId, ...body, ...(replyTo ? { reply_to: replyTo } : {}) });
      setStatus(done);
      await load(true);
      onSent();
      return true;
    } catch (e) {
      noticeSessionEnd(e);
      const byField = fieldErrors(e);
      if ("text" in body && byField.text) setTextError(byField.text);
      else setSendError(t("sandbox.compose.failed", { message: messageOf(e) }));
      return false;
    } finally {
      setBusy(false);
    }
  };

  /** The simulated contact stops or resumes this number's marketing messages (a user_preferences webhook). */
  const prefer = async (value: "stop" | "resume") => {
    setBusy(true);
    setSendError(null);
    setStatus("");
    try {
      await api.post(`${base(inboxId)}/marketing-preference`, { from: waId, value });
      setStatus(t(value === "stop" ? "capPrefs.sandbox.stopped" : "capPrefs.sandbox.resumed", { name }));
      await load(true);
    } catch (e) {
      noticeSessionEnd(e);
      setSendError(t("sandbox.compose.failed", { message: messageOf(e) }));
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!text.trim()) {
      setTextError(t("sandbox.compose.empty"));
      return;
    }
    if (await write({ text }, quote?.wamid ?? null, t("sandbox.compose.sent", { name }))) {
      setText("");
      setQuote(null);
    }
  };

  const onQuote = (m: PhoneMessage) => {
    setQuote(m);
    inputRef.current?.querySelector("input")?.focus();
  };

  return (
    <section class="sandbox-conversation" aria-labelledby="conversation-heading" data-phone={waId}>
      <div class="sandbox-conversation-head">
        <h2 id="conversation-heading">{t("sandbox.conversation.heading", { name })}</h2>
        {chat && (
          <p class="muted" data-contact-state>
            {chat.contact?.name ? `${chat.phone} · ` : ""}
            {chat.contact ? (
              chat.contact.opted_out ? (
                <span class="badge badge-failed">{t("sandbox.conversation.optedOut")}</span>
              ) : (
                <span class="badge">{t("sandbox.conversation.subscribed")}</span>
              )
            ) : (
              t("sandbox.conversation.notAContact")
            )}
            {chat.marketing_stopped && (
              <>
                {" "}
                <span class="badge badge-paused" data-marketing-stopped>
                  {t("capPrefs.sandbox.badge")}
                </span>
              </>
            )}
          </p>
        )}
      </div>
      {loadError && <FormError message={t("sandbox.conversation.loadFailed", { message: loadError })} />}
      {chat === null ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : (
        <ol class="sandbox-chat" ref={listRef} aria-label={t("sandbox.conversation.messages", { name })} tabIndex={0}>
          {chat.data.length === 0 && <li class="sandbox-chat-empty">{t("sandbox.conversation.empty")}</li>}
          {chat.data.map((m) => (
            <Message
              key={m.id}
              m={m}
              all={chat.data}
              name={name}
              busy={busy}
              onQuote={onQuote}
              onTap={(msg, b) =>
                void write(
                  { button: { text: b.text, ...(b.payload ? { payload: b.payload } : {}) } },
                  msg.wamid,
                  t("sandbox.compose.tappedDone", { name, button: b.text }),
                )
              }
            />
          ))}
        </ol>
      )}
      <form class="sandbox-compose" onSubmit={onSubmit} noValidate aria-labelledby="compose-heading">
        <h3 id="compose-heading">{t("sandbox.compose.heading", { name })}</h3>
        {quote && (
          <div class="sandbox-quoting">
            <p>{t("sandbox.compose.quoting", { text: previewOf(quote.content) })}</p>
            <button type="button" class="button-link" onClick={() => setQuote(null)}>
              {t("sandbox.compose.noQuote")}
            </button>
          </div>
        )}
        <div ref={inputRef}>
          <Field
            label={t("sandbox.compose.message")}
            hint={t("sandbox.compose.messageHint")}
            value={text}
            onValue={(v) => {
              setText(v);
              setTextError(undefined);
            }}
            error={textError}
            maxLength={4096}
            autoComplete="off"
          />
        </div>
        <div class="button-row">
          <button type="submit" disabled={busy}>
            {t("sandbox.compose.send")}
          </button>
          <button type="button" class="button-danger" disabled={busy} onClick={() => void write({ text: STOP }, null, t("sandbox.compose.stopDone", { name }))}>
            {t("sandbox.compose.stop")}
          </button>
          <button
            type="button"
            class="button-secondary"
            disabled={busy || chat === null}
            onClick={() => void prefer(chat?.marketing_stopped ? "resume" : "stop")}
            data-marketing-preference
          >
            {chat?.marketing_stopped ? t("capPrefs.sandbox.resume") : t("capPrefs.sandbox.stop")}
          </button>
        </div>
        <FormError message={sendError} />
        <p class="status" role="status">
          {status}
        </p>
      </form>
    </section>
  );
}

// ---- Scenario ---------------------------------------------------------------------------

type RateKey = "random_failure_rate" | "failed_rate" | "read_rate" | "reply_rate" | "opt_out_rate";
type DelayKey = "sent_delay_ms" | "delivered_delay_ms" | "read_delay_ms" | "reply_delay_ms";
const RATES: { key: RateKey; label: MessageKey; hint: MessageKey }[] = [
  { key: "random_failure_rate", label: "sandbox.scenario.refused", hint: "sandbox.scenario.refusedHint" },
  { key: "failed_rate", label: "sandbox.scenario.failed", hint: "sandbox.scenario.failedHint" },
  { key: "read_rate", label: "sandbox.scenario.read", hint: "sandbox.scenario.readHint" },
  { key: "reply_rate", label: "sandbox.scenario.reply", hint: "sandbox.scenario.replyHint" },
  { key: "opt_out_rate", label: "sandbox.scenario.optOut", hint: "sandbox.scenario.optOutHint" },
];
const DELAYS: { key: DelayKey; label: MessageKey }[] = [
  { key: "sent_delay_ms", label: "sandbox.scenario.sentDelay" },
  { key: "delivered_delay_ms", label: "sandbox.scenario.deliveredDelay" },
  { key: "read_delay_ms", label: "sandbox.scenario.readDelay" },
  { key: "reply_delay_ms", label: "sandbox.scenario.replyDelay" },
];

type ScenarioForm = { webhooks_enabled: boolean; throughput_cap: string } & Record<RateKey, string> & Record<`${DelayKey}.${0 | 1}`, string>;

const percentText = (rate: number) => String(Math.round(rate * 10_000) / 100);
const secondsText = (ms: number) => String(ms / 1000);

function formOf(s: Scenario): ScenarioForm {
  const form = {
    webhooks_enabled: s.webhooks_enabled,
    throughput_cap: String(s.throughput_cap),
    random_failure_rate: percentText(s.random_failure_rate),
    failed_rate: percentText(s.failed_rate),
    read_rate: percentText(1 - s.unread_rate),
    reply_rate: percentText(s.reply_rate),
    opt_out_rate: percentText(s.opt_out_rate),
  } as ScenarioForm;
  for (const { key } of DELAYS) {
    form[`${key}.0`] = secondsText(s[key][0]);
    form[`${key}.1`] = secondsText(s[key][1]);
  }
  return form;
}

/** The PUT body for the form, or the problems found by field (keys as the API names them, read_rate aside). */
function patchOf(form: ScenarioForm): { patch: Partial<Scenario> } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const patch: Partial<Scenario> = { webhooks_enabled: form.webhooks_enabled };
  const cap = Number(form.throughput_cap);
  if (form.throughput_cap.trim() === "" || !Number.isInteger(cap) || cap < 1 || cap > 10_000) errors.throughput_cap = t("sandbox.scenario.capInvalid");
  else patch.throughput_cap = cap;
  for (const { key } of RATES) {
    const n = Number(form[key]);
    if (form[key].trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) {
      errors[key] = t("sandbox.scenario.percentInvalid");
      continue;
    }
    const rate = Math.round(n * 100) / 10_000;
    if (key === "read_rate") patch.unread_rate = Math.round((1 - rate) * 10_000) / 10_000;
    else patch[key] = rate;
  }
  for (const { key } of DELAYS) {
    const [min, max] = [Number(form[`${key}.0`]), Number(form[`${key}.1`])];
    const valid = (v: number, raw: string) => raw.trim() !== "" && Number.isFinite(v) && v >= 0 && v <= 86_400;
    if (!valid(min, form[`${key}.0`]) || !valid(max, form[`${key}.1`])) errors[key] = t("sandbox.scenario.delayInvalid");
    else if (min > max) errors[key] = t("sandbox.scenario.delayOrder");
    else patch[key] = [Math.round(min * 1000), Math.round(max * 1000)];
  }
  return Object.keys(errors).length ? { errors } : { patch };
}

/** The API's field errors keyed as the form shows them. */
function scenarioErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fieldErrors(error))) {
    const first = path.split(".")[0] ?? "";
    const key = first === "unread_rate" ? "read_rate" : first;
    if (!(key in out)) out[key] = message;
  }
  return out;
}

function DelayFields({
  label,
  name,
  form,
  set,
  error,
}: {
  label: string;
  name: DelayKey;
  form: ScenarioForm;
  set: (key: keyof ScenarioForm, v: string) => void;
  error?: string | undefined;
}) {
  const id = useId();
  const input = (i: 0 | 1, text: string) => (
    <div class="field">
      <label for={`${id}-${i}`}>{text}</label>
      <input
        id={`${id}-${i}`}
        type="number"
        min={0}
        step="any"
        inputMode="decimal"
        class="input-short"
        value={form[`${name}.${i}`]}
        onInput={(e) => set(`${name}.${i}`, e.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      />
    </div>
  );
  return (
    <fieldset class="sandbox-delay" data-field={name}>
      <legend>{label}</legend>
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
      <div class="field-row">
        {input(0, t("sandbox.scenario.from"))}
        {input(1, t("sandbox.scenario.to"))}
      </div>
    </fieldset>
  );
}

function ScenarioSection({ inboxId }: { inboxId: number }) {
  const [form, setForm] = useState<ScenarioForm | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    setForm(null);
    setErrors({});
    setStatus("");
    api.get<Scenario>(`${base(inboxId)}/scenario`).then(
      (s) => setForm(formOf(s)),
      (e) => {
        noticeSessionEnd(e);
        setLoadError(messageOf(e));
      },
    );
  }, [inboxId]);

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
  }, [errors]);

  const set = (key: keyof ScenarioForm, value: string | boolean) => {
    setForm((f) => (f ? { ...f, [key]: value } : f));
    const field = String(key).split(".")[0]!;
    setErrors(({ [field]: _, ...rest }) => rest);
  };

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!form) return;
    setStatus("");
    setFormError(null);
    const checked = patchOf(form);
    if ("errors" in checked) {
      setErrors(checked.errors);
      setFormError(t("sandbox.scenario.correct"));
      return;
    }
    setPending(true);
    setErrors({});
    try {
      const saved = await request<Scenario>("PUT", `${base(inboxId)}/scenario`, checked.patch);
      setForm(formOf(saved));
      setStatus(t("sandbox.scenario.saved"));
    } catch (err) {
      noticeSessionEnd(err);
      const byField = scenarioErrors(err);
      setErrors(byField);
      setFormError(Object.keys(byField).length ? t("sandbox.scenario.correct") : messageOf(err));
    } finally {
      setPending(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="scenario-heading" data-section="scenario">
      <h2 id="scenario-heading">{t("sandbox.scenario.heading")}</h2>
      <p class="muted">{t("sandbox.scenario.intro")}</p>
      {loadError && <FormError message={t("sandbox.scenario.loadFailed", { message: loadError })} />}
      {!form ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : (
        <form class="stack" onSubmit={onSubmit} ref={formRef} noValidate>
          <FormError message={formError} />
          <Checkbox
            label={t("sandbox.scenario.webhooks")}
            hint={t("sandbox.scenario.webhooksHint")}
            checked={form.webhooks_enabled}
            onChecked={(v) => set("webhooks_enabled", v)}
          />
          <Field
            label={t("sandbox.scenario.cap")}
            hint={t("sandbox.scenario.capHint")}
            type="number"
            min={1}
            max={10_000}
            step={1}
            inputMode="numeric"
            value={form.throughput_cap}
            onValue={(v) => set("throughput_cap", v)}
            error={errors.throughput_cap}
            class="input-short"
          />
          <div class="sandbox-rates">
            {RATES.map((r) => (
              <Field
                key={r.key}
                label={t(r.label)}
                hint={t(r.hint)}
                type="number"
                min={0}
                max={100}
                step="any"
                inputMode="decimal"
                value={form[r.key]}
                onValue={(v) => set(r.key, v)}
                error={errors[r.key]}
                class="input-short"
                data-field={r.key}
              />
            ))}
          </div>
          <p class="hint">{t("sandbox.scenario.delaysHint")}</p>
          <div class="sandbox-delays">
            {DELAYS.map((d) => (
              <DelayFields key={d.key} label={t(d.label)} name={d.key} form={form} set={set} error={errors[d.key]} />
            ))}
          </div>
          <div>
            <SaveButton pending={pending} label={t("sandbox.scenario.save")} />
          </div>
          <p class="status" role="status">
            {status}
          </p>
        </form>
      )}
    </section>
  );
}

// ---- The page ---------------------------------------------------------------------------

function initialQuery(): { inbox: number | null; phone: string | null } {
  const q = new URLSearchParams(location.search);
  const inbox = Number(q.get("inbox"));
  const phone = (q.get("phone") ?? "").replace(/\D/g, "");
  return { inbox: Number.isInteger(inbox) && inbox > 0 ? inbox : null, phone: phone || null };
}

/** The chosen inbox and phone stay in the address, so the page can be reloaded or linked to. */
function rememberInUrl(inbox: number | null, phone: string | null) {
  const q = new URLSearchParams();
  if (inbox) q.set("inbox", String(inbox));
  if (phone) q.set("phone", phone);
  const search = q.toString() ? `?${q}` : "";
  if (location.search !== search) history.replaceState(history.state, "", `${location.pathname}${search}`);
}

function PhonesList({ phones, selected, onSelect }: { phones: Phone[]; selected: string | null; onSelect: (waId: string) => void }) {
  return (
    <ul class="sandbox-phones">
      {phones.map((p) => (
        <li key={p.wa_id}>
          <button type="button" class="sandbox-phone" aria-pressed={selected === p.wa_id} onClick={() => onSelect(p.wa_id)} data-wa-id={p.wa_id}>
            <span class="sandbox-phone-name">{phoneName(p)}</span>
            {p.contact?.name && <span class="sandbox-phone-number">{p.phone}</span>}
            <span class="sandbox-phone-preview">{p.last_direction === "in" ? t("sandbox.phones.theyWrote", { text: p.last_preview }) : p.last_preview}</span>
            <span class="sandbox-phone-meta">
              {formatAt(p.last_at)} · {tn("sandbox.phones.messages", p.messages)}
              {p.contact?.opted_out && <> · {t("sandbox.conversation.optedOut")}</>}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function OtherNumber({ onOpen }: { onOpen: (waId: string) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const digits = value.replace(/\D/g, "");
    if (!/^[1-9]\d{6,14}$/.test(digits)) {
      setError(t("sandbox.phones.otherInvalid"));
      return;
    }
    setError(undefined);
    setValue("");
    onOpen(digits);
  };
  return (
    <form class="inline-form sandbox-other" onSubmit={onSubmit} noValidate>
      <Field
        label={t("sandbox.phones.other")}
        hint={t("sandbox.phones.otherHint")}
        type="tel"
        value={value}
        onValue={setValue}
        error={error}
        autoComplete="off"
      />
      <button type="submit" class="button-secondary">
        {t("sandbox.phones.open")}
      </button>
    </form>
  );
}

/**
 * The phones of a sandbox inbox's simulated contacts: what each received (campaigns included,
 * linked), and buttons to answer as that contact (a text, a quick-reply tap, STOP); then the
 * simulated number's scenario.
 */
export function SandboxPhonePage() {
  useTitle(t("sandbox.title"));
  const current = session.value;
  const enabled = current?.features?.sandbox === true;
  const isAdmin = current?.user.role === "admin";
  const initial = useRef(initialQuery());
  const [inboxes, setInboxes] = useState<Inbox[] | null>(null);
  const [inboxId, setInboxId] = useState<number | null>(null);
  const [phones, setPhones] = useState<Phone[] | null>(null);
  const [phone, setPhone] = useState<string | null>(initial.current.phone);
  const [search, setSearch] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [phonesError, setPhonesError] = useState<string | null>(null);
  const [loadingDemo, setLoadingDemo] = useState(false);
  const [demoError, setDemoError] = useState<string | null>(null);

  const loadInboxes = async (prefer?: number) => {
    try {
      const { data } = await api.get<{ data: Inbox[] }>("/api/inboxes");
      const own = sandboxInboxes(data);
      setInboxes(own);
      const wanted = prefer ?? initial.current.inbox;
      setInboxId((id) => own.find((i) => i.id === (id ?? wanted))?.id ?? own.find((i) => i.id === wanted)?.id ?? own[0]?.id ?? null);
    } catch (e) {
      noticeSessionEnd(e);
      setError(messageOf(e));
    }
  };

  useEffect(() => {
    if (enabled && isAdmin) void loadInboxes();
  }, [enabled, isAdmin]);

  // Only the newest list request's answer is shown (another inbox or search may have been asked for since).
  const latestPhones = useRef(0);
  const loadPhones = async (quiet: boolean) => {
    if (inboxId === null) return;
    const mine = ++latestPhones.current;
    const q = new URLSearchParams({ limit: "100" });
    const digits = search.replace(/\D/g, "");
    if (digits) q.set("q", digits);
    try {
      const { data } = await api.get<{ data: Phone[] }>(`${base(inboxId)}/phones?${q}`);
      if (mine !== latestPhones.current) return;
      setPhones(data);
      setPhonesError(null);
    } catch (e) {
      noticeSessionEnd(e);
      if (!quiet && mine === latestPhones.current) setPhonesError(messageOf(e));
    }
  };

  useEffect(() => {
    if (inboxId === null) return;
    const timer = setTimeout(() => void loadPhones(false), search ? 250 : 0);
    const poll = setInterval(() => {
      if (!document.hidden) void loadPhones(true);
    }, POLL_MS * 2);
    return () => {
      clearTimeout(timer);
      clearInterval(poll);
      latestPhones.current++;
    };
  }, [inboxId, search]);

  useEffect(() => {
    if (inboxId !== null) rememberInUrl(inboxId, phone);
  }, [inboxId, phone]);

  const loadDemo = async () => {
    setLoadingDemo(true);
    setDemoError(null);
    try {
      const demo = await api.post<{ inbox_id: number }>("/api/demo");
      await loadInboxes(demo.inbox_id);
    } catch (e) {
      noticeSessionEnd(e);
      setDemoError(messageOf(e));
    } finally {
      setLoadingDemo(false);
    }
  };

  const head = (
    <>
      <h1>{t("sandbox.title")}</h1>
      <p class="muted">{t("sandbox.intro")}</p>
    </>
  );

  if (!enabled) {
    return (
      <>
        {head}
        <Notice data-notice="sandbox-off">
          <p>{t("sandbox.off")}</p>
        </Notice>
      </>
    );
  }
  if (!isAdmin) {
    return (
      <>
        {head}
        <Notice data-notice="admins-only">
          <p>{t("sandbox.adminsOnly")}</p>
        </Notice>
      </>
    );
  }

  const inbox = inboxes?.find((i) => i.id === inboxId) ?? null;
  const shown = phones ?? [];
  // A number opened by hand that has no messages yet still gets its conversation.
  const selected = phone;

  return (
    <>
      {head}
      <p>
        {t("sandbox.watch")} <a href="/campaigns">{t("sandbox.campaignsLink")}</a>
      </p>
      {error && <FormError message={t("sandbox.loadFailed", { message: error })} />}
      {inboxes === null ? (
        !error && <p class="muted">{t("common.loading")}</p>
      ) : inboxes.length === 0 ? (
        <Notice data-notice="no-sandbox-inbox">
          <p>{t("sandbox.noInbox")}</p>
          <p>
            <button type="button" onClick={() => void loadDemo()} disabled={loadingDemo}>
              {loadingDemo ? t("sandbox.loadingDemo") : t("sandbox.loadDemo")}
            </button>{" "}
            <a href="/inboxes">{t("sandbox.inboxesLink")}</a>
          </p>
          <FormError message={demoError} />
        </Notice>
      ) : (
        <>
          <div class="sandbox-inbox">
            <SelectField
              label={t("sandbox.inbox")}
              value={String(inboxId ?? "")}
              onValue={(v) => {
                setInboxId(Number(v));
                setPhone(null);
                setPhones(null);
                setSearch("");
              }}
              options={inboxes.map((i) => ({ value: String(i.id), label: i.display_phone ? `${i.name} (${i.display_phone})` : i.name }))}
              name="inbox"
            />
          </div>
          {inbox && (
            <div class="sandbox-layout">
              <section class="sandbox-contacts" aria-labelledby="phones-heading">
                <h2 id="phones-heading">{t("sandbox.phones.heading")}</h2>
                <Field label={t("sandbox.phones.search")} type="search" inputMode="tel" value={search} onValue={setSearch} autoComplete="off" />
                {phonesError && <FormError message={t("sandbox.phones.loadFailed", { message: phonesError })} />}
                {phones === null ? (
                  !phonesError && <p class="muted">{t("common.loading")}</p>
                ) : shown.length === 0 ? (
                  <p class="muted">{search ? t("sandbox.phones.noMatch") : t("sandbox.phones.none")}</p>
                ) : (
                  <PhonesList phones={shown} selected={selected} onSelect={setPhone} />
                )}
                <OtherNumber onOpen={setPhone} />
              </section>
              {selected ? (
                <ConversationPanel key={`${inbox.id}:${selected}`} inboxId={inbox.id} waId={selected} onSent={() => void loadPhones(true)} />
              ) : (
                <section class="sandbox-conversation sandbox-conversation-empty" aria-label={t("sandbox.conversation.none")}>
                  <p class="muted">{t("sandbox.conversation.pick")}</p>
                </section>
              )}
            </div>
          )}
          {inbox && <ScenarioSection key={inbox.id} inboxId={inbox.id} />}
        </>
      )}
    </>
  );
}
