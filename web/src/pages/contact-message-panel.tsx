/**
 * The Contacts page's "Send a message" panel: one free-text or template message to one contact
 * through one of the workspace's connected inboxes (POST /api/inboxes/:id/messages), then the
 * statuses WhatsApp reports for it, checked every 1.5 s (GET /api/inboxes/:id/messages/:messageId)
 * until it is read or failed, or a minute has passed.
 */
import type { TargetedSubmitEvent } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { type TemplateComponent, type TemplateValues, templatePreview } from "../../../worker/domain/templates";
import { ApiError, api, fieldErrors, messageOf } from "../api";
import { ErrorText, Notice, RadioGroup, SelectField } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { type BubbleContent, WhatsAppBubble } from "../components/whatsapp-bubble";
import { locale, t } from "../i18n";
import { formatDateTime, formatDuration } from "../lib/format";
import { noticeSessionEnd } from "../state/session";
import type { ContactView, Inbox, ProviderErrorView, SentMessage, SentMessageDetail, Template, TemplateVariable } from "../types";

/** How often the status is checked, and for how long after sending (or after "Check again"). */
const POLL_MS = 1_500;
const WATCH_MS = 60_000;
/** WhatsApp's service window: free text reaches a contact up to 24 hours after they last wrote. */
const WINDOW_MS = 24 * 3_600_000;

/** Inboxes that can send: sandbox inboxes, and Cloud API numbers with their token and app secret (as in the campaign editor). */
const connected = (inbox: Inbox) => inbox.provider === "sandbox" || (inbox.has_access_token && inbox.has_app_secret);

const displayName = (c: ContactView) => c.name || c.phone;

type ServiceWindow = { state: "never" } | { state: "open"; at: string; leftMs: number } | { state: "closed"; at: string };

/** Whether free text can reach the contact now, from when they last wrote. */
export function serviceWindow(lastInboundAt: string | null, now = Date.now()): ServiceWindow {
  if (!lastInboundAt) return { state: "never" };
  const left = new Date(lastInboundAt).getTime() + WINDOW_MS - now;
  return left > 0 ? { state: "open", at: lastInboundAt, leftMs: left } : { state: "closed", at: lastInboundAt };
}

/** The form's key of a template variable; also the API's error path without its `template.` prefix. */
const keyOf = (v: TemplateVariable) => (v.kind !== "text" ? "media" : v.component === "button" ? `buttons.${v.button_index ?? 0}` : `${v.component}.${v.name}`);

function variableLabel(v: TemplateVariable): string {
  if (v.kind !== "text") return t("messages.variable.media", { kind: v.kind });
  if (v.component === "button") return t("messages.variable.button", { n: (v.button_index ?? 0) + 1, name: v.name });
  return t(v.component === "header" ? "messages.variable.header" : "messages.variable.body", { name: v.name });
}

/** The typed values as the API (and the preview) take them; blank values are left out. */
function templateValues(variables: TemplateVariable[], values: Record<string, string>): TemplateValues {
  const out: TemplateValues = {};
  for (const v of variables) {
    const value = values[keyOf(v)] ?? "";
    if (!value.trim()) continue;
    if (v.kind !== "text") out.media = { link: value.trim() };
    else if (v.component === "button") (out.buttons ??= {})[String(v.button_index ?? 0)] = value;
    else (out[v.component] ??= {})[v.name] = value;
  }
  return out;
}

/** A refusal from WhatsApp as the API reports it (502 `provider_unavailable` with the provider's error). */
function providerError(error: unknown): ProviderErrorView | null {
  if (!(error instanceof ApiError) || error.code !== "provider_unavailable") return null;
  const provider = (error.details as { provider?: ProviderErrorView } | undefined)?.provider;
  return provider && typeof provider.title === "string" ? provider : null;
}

const templateKey = (tpl: Pick<Template, "name" | "language">) => `${tpl.name}|${tpl.language}`;

type Sent = { inboxId: number; message: SentMessageDetail; bubble: BubbleContent };

export function ContactMessagePanel({ contact, onClose }: { contact: ContactView; onClose: () => void }) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const name = displayName(contact);
  const service = serviceWindow(contact.last_inbound_at);

  const [inboxes, setInboxes] = useState<Inbox[] | null>(null);
  const [inboxesError, setInboxesError] = useState<string | null>(null);
  const [inboxId, setInboxId] = useState("");
  const [templates, setTemplates] = useState<{ inboxId: string; items: Template[] | null; error: string | null }>({ inboxId: "", items: null, error: null });
  const [kind, setKind] = useState<"template" | "text">(service.state === "open" ? "text" : "template");
  const [chosenKey, setChosenKey] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [text, setText] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [sent, setSent] = useState<Sent | null>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, [contact.id]);

  useEffect(() => {
    const controller = new AbortController();
    api
      .get<{ data: Inbox[] }>("/api/inboxes", controller.signal)
      .then(({ data }) => {
        const usable = data.filter(connected);
        setInboxes(usable);
        if (usable.length === 1) setInboxId(String(usable[0]!.id));
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        noticeSessionEnd(e);
        setInboxesError(messageOf(e));
      });
    return () => controller.abort();
  }, []);

  useEffect(() => {
    if (!inboxId) return;
    const controller = new AbortController();
    setTemplates({ inboxId, items: null, error: null });
    api
      .get<{ data: Template[] }>(`/api/inboxes/${inboxId}/templates?status=APPROVED`, controller.signal)
      .then(({ data }) => setTemplates({ inboxId, items: data, error: null }))
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        noticeSessionEnd(e);
        setTemplates({ inboxId, items: null, error: messageOf(e) });
      });
    return () => controller.abort();
  }, [inboxId]);

  const templateItems = templates.inboxId === inboxId ? templates.items : null;
  const chosen = templateItems?.find((tpl) => templateKey(tpl) === chosenKey) ?? null;
  const variables = chosen?.variables ?? [];
  const filled = templateValues(variables, values);
  const bubble: BubbleContent | null =
    kind === "template" ? (chosen ? templatePreview(chosen.components as TemplateComponent[], filled) : null) : text.trim() ? { body: text } : null;

  /** Drops a field's error once the operator changes that field. */
  const clearError = (key: string) => {
    if (key in errors) setErrors(Object.fromEntries(Object.entries(errors).filter(([k]) => k !== key)));
  };
  const setValue = (key: string, value: string) => {
    setValues({ ...values, [key]: value });
    clearError(key);
  };

  /** What the browser can see before asking the server, in the operator's language. */
  function localErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    if (!inboxId) out.inbox = t("messages.error.inbox");
    if (kind === "text") {
      if (!text.trim()) out["text.body"] = t("messages.error.text");
    } else if (!chosen) {
      if (inboxId && templateItems?.length) out["template.name"] = t("messages.error.template");
    } else {
      for (const v of variables) {
        if (!(values[keyOf(v)] ?? "").trim()) out[keyOf(v)] = t("messages.error.value", { field: variableLabel(v) });
      }
    }
    return out;
  }

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setFormError(null);
    const local = localErrors();
    if (Object.keys(local).length) {
      setErrors(local);
      setFormError(t("messages.error.fix"));
      return;
    }
    setErrors({});
    if (kind === "text" && service.state !== "open") {
      setFormError(
        service.state === "never" ? t("messages.refusedWindowNever", { name }) : t("messages.refusedWindowClosed", { name, date: formatDateTime(service.at) }),
      );
      return;
    }
    if (kind === "template" && !chosen) {
      setFormError(t("messages.error.noTemplates"));
      return;
    }
    const body =
      kind === "text"
        ? { to: contact.phone, text: { body: text } }
        : { to: contact.phone, template: { name: chosen!.name, language: chosen!.language, ...filled } };
    setPending(true);
    try {
      const message = await api.post<SentMessage>(`/api/inboxes/${inboxId}/messages`, body);
      setSent({ inboxId: Number(inboxId), message: { ...message, events: [] }, bubble: bubble ?? { body: "" } });
    } catch (err) {
      noticeSessionEnd(err);
      const refusal = providerError(err);
      if (refusal) {
        const what = refusal.policy === "unknown" ? "messages.refusedUnknown" : "messages.refused";
        setFormError(
          [t(what, { title: refusal.title }), refusal.code !== undefined ? t("messages.errorCode", { code: refusal.code }) : "", refusal.details ?? ""]
            .filter(Boolean)
            .join(" "),
        );
      } else {
        const fields: Record<string, string> = {};
        for (const [path, message] of Object.entries(fieldErrors(err))) {
          if (path.startsWith("template.media")) fields.media ??= message;
          else if (path.startsWith("template.") && path !== "template.name") fields[path.slice("template.".length)] = message;
          else fields[path] = message;
        }
        if (fields.to) {
          setFormError(t("messages.error.phone", { reason: fields.to }));
          delete fields.to;
        } else {
          setFormError(Object.keys(fields).length ? t("messages.error.fix") : messageOf(err));
        }
        setErrors(fields);
      }
    } finally {
      setPending(false);
    }
  };

  const sendAnother = () => {
    setSent(null);
    requestAnimationFrame(() => headingRef.current?.focus());
  };

  const inboxOptions = (inboxes ?? []).map((i) => ({ value: String(i.id), label: `${i.name}${i.display_phone ? ` · ${i.display_phone}` : ""}` }));
  const lastWrote = service.state === "never" ? t("messages.lastWroteNever") : formatDateTime(service.at);

  return (
    <section
      class="panel message-panel"
      aria-labelledby={`${id}-heading`}
      data-message-panel={contact.id}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !pending) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <h2 id={`${id}-heading`} class="focus-target" tabIndex={-1} ref={headingRef}>
        {t("messages.title", { name })}
      </h2>
      <dl class="summary message-to">
        <div class="summary-row">
          <dt>{t("messages.to")}</dt>
          <dd>{contact.name ? `${contact.name} · ${contact.phone}` : contact.phone}</dd>
        </div>
        <div class="summary-row">
          <dt>{t("messages.lastWrote")}</dt>
          <dd data-last-wrote>{lastWrote}</dd>
        </div>
      </dl>

      {sent ? (
        <MessageStatus sent={sent} name={name} onAnother={sendAnother} onClose={onClose} />
      ) : (
        <form class="stack" onSubmit={onSubmit} noValidate>
          <FormError message={formError} />
          {inboxesError ? (
            <div class="alert">{t("messages.inboxesFailed", { message: inboxesError })}</div>
          ) : inboxes === null ? (
            <p class="muted">{t("messages.inboxesLoading")}</p>
          ) : inboxes.length === 0 ? (
            <Notice tone="warning" data-notice="no-inbox">
              <p>
                {t("messages.noInbox")} <a href="/inboxes">{t("messages.noInboxLink")}</a>
              </p>
            </Notice>
          ) : (
            <SelectField
              label={t("messages.inbox")}
              hint={t("messages.inboxHint")}
              value={inboxId}
              onValue={(v) => {
                setInboxId(v);
                setChosenKey("");
                setValues({});
                clearError("inbox");
              }}
              options={[...(inboxOptions.length > 1 || !inboxId ? [{ value: "", label: t("messages.chooseInbox") }] : []), ...inboxOptions]}
              error={errors.inbox}
              name="inbox"
            />
          )}

          <RadioGroup
            legend={t("messages.kind")}
            name={`${id}-kind`}
            value={kind}
            onValue={(v) => {
              setKind(v as "template" | "text");
              setFormError(null);
            }}
            options={[
              { value: "template", label: t("messages.kindTemplate"), hint: t("messages.kindTemplateHint") },
              { value: "text", label: t("messages.kindText"), hint: t("messages.kindTextHint") },
            ]}
          />

          {kind === "text" ? (
            <div class="compose">
              <div class="stack">
                <Notice tone={service.state === "open" ? "info" : "warning"} data-notice="window">
                  <p data-window={service.state}>
                    {service.state === "open"
                      ? t("messages.windowOpen", { name, date: formatDateTime(service.at), left: formatDuration(service.leftMs) })
                      : service.state === "closed"
                        ? t("messages.windowClosed", { name, date: formatDateTime(service.at) })
                        : t("messages.windowNever", { name })}
                  </p>
                </Notice>
                <div class="field">
                  <label for={`${id}-text`}>{t("messages.text")}</label>
                  <p id={`${id}-text-hint`} class="hint">
                    {t("messages.textHint")}
                  </p>
                  <textarea
                    id={`${id}-text`}
                    name="text"
                    rows={5}
                    maxLength={4096}
                    value={text}
                    onInput={(e) => {
                      setText(e.currentTarget.value);
                      clearError("text.body");
                    }}
                    aria-invalid={errors["text.body"] ? "true" : undefined}
                    aria-describedby={[`${id}-text-hint`, errors["text.body"] ? `${id}-text-error` : ""].filter(Boolean).join(" ")}
                  />
                  <ErrorText id={`${id}-text-error`} error={errors["text.body"]} />
                </div>
              </div>
              <div class="preview-pane">
                {bubble ? <WhatsAppBubble content={bubble} caption={t("messages.preview", { name })} /> : <p class="hint">{t("messages.previewEmpty")}</p>}
              </div>
            </div>
          ) : (
            inboxId && (
              <TemplateChoice
                inboxId={inboxId}
                items={templateItems}
                error={templates.inboxId === inboxId ? templates.error : null}
                chosenKey={chosenKey}
                onChosen={(key) => {
                  setChosenKey(key);
                  setValues({});
                  setErrors({});
                }}
                chosenError={errors["template.name"]}
                variables={variables}
                values={values}
                onValue={setValue}
                errors={errors}
                bubble={bubble}
                caption={t("messages.preview", { name })}
              />
            )
          )}

          <div class="form-actions">
            <button type="submit" disabled={pending || !inboxes?.length}>
              {pending ? t("messages.sending") : t("messages.send")}
            </button>
            <button type="button" class="button-secondary" onClick={onClose} disabled={pending}>
              {t("common.cancel")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function TemplateChoice(props: {
  inboxId: string;
  items: Template[] | null;
  error: string | null;
  chosenKey: string;
  onChosen: (key: string) => void;
  chosenError: string | undefined;
  variables: TemplateVariable[];
  values: Record<string, string>;
  onValue: (key: string, value: string) => void;
  errors: Record<string, string>;
  bubble: BubbleContent | null;
  caption: string;
}) {
  const { inboxId, items, error, chosenKey, onChosen, variables, values, onValue, errors, bubble, caption } = props;
  if (error) return <div class="alert">{t("messages.templatesFailed", { message: error })}</div>;
  if (items === null) return <p class="muted">{t("messages.templatesLoading")}</p>;
  if (items.length === 0) {
    return (
      <Notice tone="warning" data-notice="no-templates">
        <p>
          {t("messages.noTemplates")} <a href={`/inboxes/${inboxId}/templates`}>{t("messages.noTemplatesLink")}</a>
        </p>
      </Notice>
    );
  }
  return (
    <div class="compose">
      <div class="stack">
        <SelectField
          label={t("messages.template")}
          hint={t("messages.templateHint")}
          value={chosenKey}
          onValue={onChosen}
          options={[
            { value: "", label: t("messages.chooseTemplate") },
            ...items.map((tpl) => ({ value: templateKey(tpl), label: `${tpl.name} (${tpl.language})` })),
          ]}
          error={props.chosenError}
          name="template"
        />
        {chosenKey && variables.length === 0 && <p class="muted">{t("messages.noVariables")}</p>}
        {variables.map((v) => (
          <Field
            key={keyOf(v)}
            label={variableLabel(v)}
            hint={
              v.kind !== "text"
                ? t("messages.variable.mediaHint", { kind: v.kind })
                : v.example
                  ? t("messages.variable.example", { example: v.example })
                  : undefined
            }
            value={values[keyOf(v)] ?? ""}
            onValue={(value) => onValue(keyOf(v), value)}
            error={errors[keyOf(v)]}
            type={v.kind !== "text" ? "url" : "text"}
            maxLength={1024}
            autoComplete="off"
            data-variable={keyOf(v)}
          />
        ))}
      </div>
      <div class="preview-pane">{bubble ? <WhatsAppBubble content={bubble} caption={caption} /> : <p class="hint">{t("messages.previewTemplate")}</p>}</div>
    </div>
  );
}

/** The steps a message goes through, in order; a later one implies the earlier ones. */
const STEPS = ["accepted", "sent", "delivered", "read"] as const;
type Step = (typeof STEPS)[number];
const rankOf = (status: string) => STEPS.indexOf(status as Step);
const STATUS_KEYS = {
  sending: "messages.status.sending",
  accepted: "messages.status.accepted",
  sent: "messages.status.sent",
  delivered: "messages.status.delivered",
  read: "messages.status.read",
  failed: "messages.status.failed",
  unknown: "messages.status.unknown",
} as const;
const statusLabel = (status: string) => (status in STATUS_KEYS ? t(STATUS_KEYS[status as keyof typeof STATUS_KEYS]) : status);
const finished = (status: string) => status === "read" || status === "failed";

const timeFormats = new Map<string, Intl.DateTimeFormat>();
/** A time of day with seconds, as the chosen locale writes it: statuses arrive seconds apart. */
function formatTime(iso: string): string {
  let f = timeFormats.get(locale.value);
  if (!f) timeFormats.set(locale.value, (f = new Intl.DateTimeFormat(locale.value, { timeStyle: "medium" })));
  return f.format(new Date(iso));
}

/** The sent message's statuses, checked until it is read or failed, or a minute has passed. */
function MessageStatus({ sent, name, onAnother, onClose }: { sent: Sent; name: string; onAnother: () => void; onClose: () => void }) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [message, setMessage] = useState<SentMessageDetail>(sent.message);
  const [watching, setWatching] = useState(true);
  const [round, setRound] = useState(0);
  const [checkError, setCheckError] = useState<string | null>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  useEffect(() => {
    if (finished(message.status)) {
      setWatching(false);
      return;
    }
    const controller = new AbortController();
    const deadline = Date.now() + WATCH_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setWatching(true);
    const check = async () => {
      try {
        const latest = await api.get<SentMessageDetail>(`/api/inboxes/${sent.inboxId}/messages/${sent.message.id}`, controller.signal);
        setMessage(latest);
        setCheckError(null);
        if (finished(latest.status)) {
          setWatching(false);
          return;
        }
      } catch (e) {
        if (controller.signal.aborted) return;
        noticeSessionEnd(e);
        setCheckError(messageOf(e));
      }
      if (Date.now() >= deadline) setWatching(false);
      else timer = setTimeout(() => void check(), POLL_MS);
    };
    timer = setTimeout(() => void check(), POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [round]);

  const failed = message.status === "failed";
  const reached = failed ? Math.max(-1, ...message.events.map((e) => rankOf(e.status)), message.wamid ? 0 : -1) : rankOf(message.status);
  const timeOf = (step: Step): string | null => {
    const event = message.events.find((e) => e.status === step);
    if (event?.occurred_at) return event.occurred_at;
    return step === "accepted" ? message.created_at : null;
  };
  const failure = failed ? (message.events.find((e) => e.status === "failed") ?? null) : null;
  const errorTitle = failure?.error_title ?? message.error_title;
  const errorCode = failure?.error_code ?? message.error_code;

  return (
    <section class="message-status stack" aria-labelledby={`${id}-heading`} data-message-status={message.status}>
      <h3 id={`${id}-heading`} class="focus-target" tabIndex={-1} ref={headingRef}>
        {t("messages.sentTitle", { name })}
      </h3>
      <p role="status" class="message-status-now">
        {t("messages.statusNow", { status: statusLabel(message.status) })}
        {failed && errorTitle ? ` ${t("messages.failedBecause", { title: errorTitle })}` : ""}
      </p>
      <ol class="message-steps">
        {STEPS.map((step, i) => {
          const done = i <= reached;
          const at = done ? timeOf(step) : null;
          return (
            <li key={step} class={done ? "done" : ""} data-step={step} data-done={done ? "true" : "false"}>
              <span class="message-step-mark" aria-hidden="true">
                {done ? "✓" : ""}
              </span>
              <span class="message-step-name">{statusLabel(step)}</span>{" "}
              <span class="muted">{done ? (at ? formatTime(at) : "") : failed ? t("messages.stepNever") : t("messages.stepWaiting")}</span>
            </li>
          );
        })}
        {failed && (
          <li class="failed" data-step="failed" data-done="true">
            <span class="message-step-mark" aria-hidden="true">
              ✕
            </span>
            <span class="message-step-name">{statusLabel("failed")}</span>{" "}
            <span class="muted">{failure?.occurred_at ? formatTime(failure.occurred_at) : ""}</span>
          </li>
        )}
      </ol>
      {failed && (
        <div class="alert" data-failure>
          {errorTitle ? t("messages.failedTitle", { title: errorTitle }) : t("messages.failedNoTitle")}
          {errorCode !== null && errorCode !== undefined ? ` ${t("messages.errorCode", { code: errorCode })}` : ""}
        </div>
      )}
      {checkError && <p class="field-error">{t("messages.checkFailed", { message: checkError })}</p>}
      {!watching && !finished(message.status) && (
        <p>
          <span class="muted">{t("messages.stoppedWatching")}</span>{" "}
          <button type="button" class="button-link" onClick={() => setRound((r) => r + 1)}>
            {t("messages.checkAgain")}
          </button>
        </p>
      )}
      <div class="message-sent-preview">
        <WhatsAppBubble content={sent.bubble} caption={t("messages.sentPreview")} />
      </div>
      <div class="form-actions">
        <button type="button" onClick={onAnother}>
          {t("messages.another")}
        </button>
        <button type="button" class="button-secondary" onClick={onClose}>
          {t("messages.close")}
        </button>
      </div>
    </section>
  );
}
