import type { ComponentChildren, TargetedSubmitEvent } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { api, fieldErrors, messageOf } from "../api";
import { Notice, SelectField } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { type MessageKey, t } from "../i18n";
import { noticeSessionEnd, session } from "../state/session";
import type { ConnectionCheck, InboxView } from "../types";

// ---- words for the API's values -----------------------------------------------------------------

const TIERS = ["250", "2000", "10000", "100000", "unlimited"] as const;

/** "250 customers / 24 h", "Unlimited"; an unknown tier as written. */
function tierLabel(tier: string | undefined): string {
  if (!tier) return t("inboxes.notSet");
  if (tier === "unlimited") return t("inboxes.tier.unlimited");
  return /^\d+$/.test(tier) ? t("inboxes.tier.limit", { n: Number(tier) }) : tier;
}

const providerLabel = (provider: InboxView["provider"]) => t(provider === "cloud" ? "inboxes.provider.cloud" : "inboxes.provider.sandbox");

const QUALITY: Record<string, MessageKey> = {
  GREEN: "inboxes.quality.green",
  YELLOW: "inboxes.quality.yellow",
  RED: "inboxes.quality.red",
  UNKNOWN: "inboxes.quality.unknown",
};
const qualityLabel = (q: string | undefined) => (q ? (QUALITY[q] ? t(QUALITY[q]) : q) : t("inboxes.notSet"));

/** The webhook fields Herald handles (worker/domain/webhook-envelope.ts). */
const WEBHOOK_FIELDS: { name: string; what: MessageKey }[] = [
  { name: "messages", what: "inboxes.webhook.field.messages" },
  { name: "message_template_status_update", what: "inboxes.webhook.field.templates" },
];

/** A verify token to offer: 24 random bytes, URL-safe base64 (32 characters). */
function randomVerifyToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

// ---- copying -----------------------------------------------------------------------------------

/**
 * A value to paste elsewhere, with a Copy button: the clipboard when the browser allows it,
 * otherwise the text is selected for the person to copy. Either way a status says what happened.
 */
function CopyValue({ label, value, name }: { label: string; value: string; name: string }) {
  const ref = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<"" | "copied" | "selected">("");
  useEffect(() => setCopied(""), [value]);
  const selectText = () => {
    const node = ref.current;
    const selection = window.getSelection();
    if (!node || !selection) return;
    selection.selectAllChildren(node);
  };
  const copy = async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
      await navigator.clipboard.writeText(value);
      setCopied("copied");
    } catch {
      selectText();
      setCopied("selected");
    }
  };
  return (
    <div class="copy-value" data-copy={name}>
      <span class="copy-label">{label}</span>
      <div class="copy-row">
        <code ref={ref} class="copy-text">
          {value}
        </code>
        <button type="button" class="button-secondary" onClick={() => void copy()}>
          {t("inboxes.copy")}
          <span class="visually-hidden"> {label}</span>
        </button>
        <span class="copy-status" role="status">
          {copied === "copied" ? t("inboxes.copied") : copied === "selected" ? t("inboxes.copySelected") : ""}
        </span>
      </div>
    </div>
  );
}

/** What to paste into Meta's webhook settings for an inbox, and which fields to subscribe to. */
function WebhookSetup({ inbox }: { inbox: InboxView }) {
  return (
    <div class="webhook-setup" data-webhook-setup={inbox.id}>
      <p class="hint">{t("inboxes.webhook.where")}</p>
      <CopyValue label={t("inboxes.webhook.url")} value={inbox.webhook_url} name="webhook-url" />
      {inbox.verify_token !== undefined && <CopyValue label={t("inboxes.webhook.verifyToken")} value={inbox.verify_token} name="verify-token" />}
      <p class="webhook-fields-intro">{t("inboxes.webhook.fields")}</p>
      <ul class="webhook-fields">
        {WEBHOOK_FIELDS.map((f) => (
          <li key={f.name}>
            <code>{f.name}</code> — {t(f.what)}
          </li>
        ))}
      </ul>
    </div>
  );
}

// ---- the connect / edit form -------------------------------------------------------------------

type FormValues = {
  name: string;
  phone_number_id: string;
  waba_id: string;
  display_phone: string;
  access_token: string;
  app_secret: string;
  verify_token: string;
  api_version: string;
  throughput_cap: string;
  messaging_limit_tier: string;
};
type FieldName = keyof FormValues;

const blankCloud = (): FormValues => ({
  name: "",
  phone_number_id: "",
  waba_id: "",
  display_phone: "",
  access_token: "",
  app_secret: "",
  verify_token: randomVerifyToken(),
  api_version: "v23.0",
  throughput_cap: "80",
  messaging_limit_tier: "250",
});

const valuesOf = (inbox: InboxView): FormValues => ({
  name: inbox.name,
  phone_number_id: inbox.phone_number_id,
  waba_id: inbox.waba_id,
  display_phone: inbox.display_phone,
  access_token: "",
  app_secret: "",
  verify_token: inbox.verify_token ?? "",
  api_version: inbox.api_version,
  throughput_cap: String(inbox.throughput_cap),
  messaging_limit_tier: inbox.messaging_limit_tier,
});

/** The fields each form shows, in order. */
const CLOUD_FIELDS: FieldName[] = [
  "name",
  "phone_number_id",
  "waba_id",
  "display_phone",
  "access_token",
  "app_secret",
  "verify_token",
  "api_version",
  "throughput_cap",
  "messaging_limit_tier",
];
const SANDBOX_EDIT_FIELDS: FieldName[] = ["name", "display_phone", "throughput_cap", "messaging_limit_tier"];

/** Checks made before asking the server, so the common mistakes are explained in the UI's language. */
function checkValues(v: FormValues, fields: FieldName[], mode: "create" | "edit"): Partial<Record<FieldName, string>> {
  const errors: Partial<Record<FieldName, string>> = {};
  const has = (f: FieldName) => fields.includes(f);
  if (has("name") && !v.name.trim()) errors.name = t("inboxes.error.name");
  if (has("phone_number_id") && !/^\d{1,32}$/.test(v.phone_number_id.trim())) errors.phone_number_id = t("inboxes.error.phoneNumberId");
  if (has("waba_id") && !/^\d{1,32}$/.test(v.waba_id.trim())) errors.waba_id = t("inboxes.error.wabaId");
  if (mode === "create" && has("access_token") && !v.access_token.trim()) errors.access_token = t("inboxes.error.accessToken");
  if (mode === "create" && has("app_secret") && !v.app_secret.trim()) errors.app_secret = t("inboxes.error.appSecret");
  if (has("verify_token") && v.verify_token.trim().length < 8) errors.verify_token = t("inboxes.error.verifyToken");
  if (has("api_version") && !/^v\d+\.\d+$/.test(v.api_version.trim())) errors.api_version = t("inboxes.error.apiVersion");
  const cap = Number(v.throughput_cap);
  if (has("throughput_cap") && (!/^\d+$/.test(v.throughput_cap.trim()) || cap < 1 || cap > 1000)) errors.throughput_cap = t("inboxes.error.cap");
  return errors;
}

/** The request body for the fields shown; on edit only what changed, and secrets only when typed. */
function bodyOf(v: FormValues, fields: FieldName[], before: FormValues | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const value = f === "throughput_cap" ? Number(v[f]) : v[f].trim();
    if (before) {
      if ((f === "access_token" || f === "app_secret") && value === "") continue;
      const old = f === "throughput_cap" ? Number(before[f]) : before[f].trim();
      if (value === old) continue;
    }
    out[f] = value;
  }
  return out;
}

/** Focuses the first field marked invalid inside `form`, after it rendered. */
function useFocusFirstError(form: { current: HTMLFormElement | null }, errors: object) {
  useEffect(() => {
    form.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [errors]);
}

function InboxFields({
  values,
  set,
  errors,
  fields,
  mode,
}: {
  values: FormValues;
  set: (f: FieldName, v: string) => void;
  errors: Partial<Record<FieldName, string>>;
  fields: FieldName[];
  mode: "create" | "edit";
}) {
  const keep = mode === "edit" ? ` ${t("inboxes.field.keepSecret")}` : "";
  const show = (f: FieldName) => fields.includes(f);
  return (
    <>
      {show("name") && (
        <Field
          label={t("inboxes.field.name")}
          hint={t("inboxes.field.nameHint")}
          value={values.name}
          onValue={(v) => set("name", v)}
          error={errors.name}
          name="name"
          maxLength={100}
          autoComplete="off"
        />
      )}
      {show("phone_number_id") && (
        <Field
          label={t("inboxes.field.phoneNumberId")}
          hint={t("inboxes.field.phoneNumberIdHint")}
          value={values.phone_number_id}
          onValue={(v) => set("phone_number_id", v)}
          error={errors.phone_number_id}
          name="phone_number_id"
          inputMode="numeric"
          autoComplete="off"
          spellcheck={false}
        />
      )}
      {show("waba_id") && (
        <Field
          label={t("inboxes.field.wabaId")}
          hint={t("inboxes.field.wabaIdHint")}
          value={values.waba_id}
          onValue={(v) => set("waba_id", v)}
          error={errors.waba_id}
          name="waba_id"
          inputMode="numeric"
          autoComplete="off"
          spellcheck={false}
        />
      )}
      {show("display_phone") && (
        <Field
          label={t("inboxes.field.displayPhone")}
          hint={t("inboxes.field.displayPhoneHint")}
          value={values.display_phone}
          onValue={(v) => set("display_phone", v)}
          error={errors.display_phone}
          name="display_phone"
          type="tel"
          autoComplete="off"
          maxLength={40}
        />
      )}
      {show("access_token") && (
        <Field
          label={t("inboxes.field.accessToken")}
          hint={t("inboxes.field.accessTokenHint") + keep}
          value={values.access_token}
          onValue={(v) => set("access_token", v)}
          error={errors.access_token}
          name="access_token"
          type="password"
          autoComplete="new-password"
          spellcheck={false}
          maxLength={2000}
        />
      )}
      {show("app_secret") && (
        <Field
          label={t("inboxes.field.appSecret")}
          hint={t("inboxes.field.appSecretHint") + keep}
          value={values.app_secret}
          onValue={(v) => set("app_secret", v)}
          error={errors.app_secret}
          name="app_secret"
          type="password"
          autoComplete="new-password"
          spellcheck={false}
          maxLength={200}
        />
      )}
      {show("verify_token") && (
        <div class="with-action">
          <Field
            label={t("inboxes.field.verifyToken")}
            hint={t("inboxes.field.verifyTokenHint")}
            value={values.verify_token}
            onValue={(v) => set("verify_token", v)}
            error={errors.verify_token}
            name="verify_token"
            autoComplete="off"
            spellcheck={false}
            maxLength={200}
          />
          <button type="button" class="button-secondary" onClick={() => set("verify_token", randomVerifyToken())}>
            {t("inboxes.field.generateToken")}
          </button>
        </div>
      )}
      {(show("api_version") || show("throughput_cap")) && (
        <div class="field-row">
          {show("api_version") && (
            <Field
              label={t("inboxes.field.apiVersion")}
              hint={t("inboxes.field.apiVersionHint")}
              value={values.api_version}
              onValue={(v) => set("api_version", v)}
              error={errors.api_version}
              name="api_version"
              autoComplete="off"
              spellcheck={false}
            />
          )}
          {show("throughput_cap") && (
            <Field
              label={t("inboxes.field.cap")}
              hint={t("inboxes.field.capHint")}
              value={values.throughput_cap}
              onValue={(v) => set("throughput_cap", v)}
              error={errors.throughput_cap}
              name="throughput_cap"
              type="number"
              inputMode="numeric"
              min={1}
              max={1000}
              step={1}
            />
          )}
        </div>
      )}
      {show("messaging_limit_tier") && (
        <SelectField
          label={t("inboxes.field.tier")}
          hint={t("inboxes.field.tierHint")}
          value={values.messaging_limit_tier}
          onValue={(v) => set("messaging_limit_tier", v)}
          error={errors.messaging_limit_tier}
          name="messaging_limit_tier"
          options={TIERS.map((tier) => ({ value: tier, label: tierLabel(tier) }))}
        />
      )}
    </>
  );
}

type FormState = { values: FormValues; errors: Partial<Record<FieldName, string>>; formError: string | null; pending: boolean };

/** A form's values, errors and submission; `send` throws ApiError, whose field details land next to the fields. */
function useInboxForm(initial: () => FormValues) {
  const [state, setState] = useState<FormState>(() => ({ values: initial(), errors: {}, formError: null, pending: false }));
  const set = (f: FieldName, v: string) => setState((s) => ({ ...s, values: { ...s.values, [f]: v } }));
  const submit = async (fields: FieldName[], mode: "create" | "edit", send: (values: FormValues) => Promise<void>) => {
    const errors = checkValues(state.values, fields, mode);
    if (Object.keys(errors).length > 0) {
      setState((s) => ({ ...s, errors, formError: t("inboxes.error.checkFields") }));
      return;
    }
    setState((s) => ({ ...s, errors: {}, formError: null, pending: true }));
    try {
      await send(state.values);
      setState((s) => ({ ...s, pending: false }));
    } catch (e) {
      noticeSessionEnd(e);
      const byField = fieldErrors(e) as Partial<Record<FieldName, string>>;
      setState((s) => ({ ...s, pending: false, errors: byField, formError: messageOf(e) }));
    }
  };
  return { ...state, set, submit };
}

function ConnectCloudForm({ onConnected, onCancel }: { onConnected: (inbox: InboxView) => void; onCancel: () => void }) {
  const form = useInboxForm(blankCloud);
  const ref = useRef<HTMLFormElement>(null);
  useFocusFirstError(ref, form.errors);
  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    void form.submit(CLOUD_FIELDS, "create", async (values) => {
      onConnected(await api.post<InboxView>("/api/inboxes", { provider: "cloud", ...bodyOf(values, CLOUD_FIELDS, null) }));
    });
  };
  const headingId = useId();
  return (
    <section class="panel" aria-labelledby={headingId} data-form="connect-cloud">
      <h2 id={headingId}>{t("inboxes.connect.title")}</h2>
      <p class="hint panel-intro">{t("inboxes.connect.intro")}</p>
      <form class="stack" onSubmit={onSubmit} ref={ref} noValidate>
        <FormError message={form.formError} />
        <InboxFields values={form.values} set={form.set} errors={form.errors} fields={CLOUD_FIELDS} mode="create" />
        <div class="form-actions">
          <button type="submit" disabled={form.pending}>
            {form.pending ? t("inboxes.connect.pending") : t("inboxes.connect.submit")}
          </button>
          <button type="button" class="button-secondary" onClick={onCancel}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}

function SandboxForm({ onCreated, onCancel }: { onCreated: (inbox: InboxView) => void; onCancel: () => void }) {
  const form = useInboxForm(() => ({ ...blankCloud(), name: t("inboxes.sandbox.defaultName") }));
  const ref = useRef<HTMLFormElement>(null);
  useFocusFirstError(ref, form.errors);
  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    void form.submit(["name"], "create", async (values) => {
      onCreated(await api.post<InboxView>("/api/inboxes", { provider: "sandbox", name: values.name.trim() }));
    });
  };
  const headingId = useId();
  return (
    <section class="panel" aria-labelledby={headingId} data-form="create-sandbox">
      <h2 id={headingId}>{t("inboxes.sandbox.title")}</h2>
      <p class="hint panel-intro">{t("inboxes.sandbox.intro")}</p>
      <form class="stack" onSubmit={onSubmit} ref={ref} noValidate>
        <FormError message={form.formError} />
        <Field
          label={t("inboxes.field.name")}
          hint={t("inboxes.sandbox.nameHint")}
          value={form.values.name}
          onValue={(v) => form.set("name", v)}
          error={form.errors.name}
          name="name"
          maxLength={100}
          autoComplete="off"
        />
        <div class="form-actions">
          <button type="submit" disabled={form.pending}>
            {form.pending ? t("inboxes.sandbox.pending") : t("inboxes.sandbox.submit")}
          </button>
          <button type="button" class="button-secondary" onClick={onCancel}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}

function EditForm({ inbox, onSaved, onCancel }: { inbox: InboxView; onSaved: (inbox: InboxView | null) => void; onCancel: () => void }) {
  const fields = inbox.provider === "cloud" ? CLOUD_FIELDS : SANDBOX_EDIT_FIELDS;
  const before = valuesOf(inbox);
  const form = useInboxForm(() => valuesOf(inbox));
  const titleId = useId();
  const ref = useRef<HTMLFormElement>(null);
  useFocusFirstError(ref, form.errors);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("input")?.focus();
  }, []);
  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    void form.submit(fields, "edit", async (values) => {
      const body = bodyOf(values, fields, before);
      onSaved(Object.keys(body).length === 0 ? null : await api.patch<InboxView>(`/api/inboxes/${inbox.id}`, body));
    });
  };
  return (
    <form class="stack edit-form" onSubmit={onSubmit} ref={ref} noValidate aria-labelledby={titleId} data-form="edit">
      <h4 id={titleId} class="edit-title">
        {t("inboxes.edit.title", { name: inbox.name })}
      </h4>
      <FormError message={form.formError} />
      <InboxFields values={form.values} set={form.set} errors={form.errors} fields={fields} mode="edit" />
      <div class="form-actions">
        <button type="submit" disabled={form.pending}>
          {form.pending ? t("common.saving") : t("inboxes.edit.submit")}
        </button>
        <button type="button" class="button-secondary" onClick={onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}

// ---- one inbox ---------------------------------------------------------------------------------

function Fact({ term, children, name }: { term: string; children: ComponentChildren; name: string }) {
  return (
    <div class="fact" data-fact={name}>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The outcome of Test connection, next to the inbox it concerns. */
function CheckResult({ check }: { check: { result: ConnectionCheck } | { failed: string } }) {
  if ("failed" in check) {
    return (
      <div class="check-result check-error" data-test-result="error">
        <p class="check-title">{t("inboxes.test.couldNotRun")}</p>
        <p>{check.failed}</p>
      </div>
    );
  }
  const r = check.result;
  if (!r.ok) {
    const e = r.error;
    // No Meta error code and a send-style network policy: the request never got an answer.
    const unreachable = !e || (e.code === undefined && (e.policy === "unknown" || e.policy === "retry_recipient_later"));
    return (
      <div class="check-result check-error" data-test-result="error">
        <p class="check-title">{t("inboxes.test.failed")}</p>
        {e && (
          <>
            <p>
              <strong>{e.title}</strong>
              {e.code !== undefined && <span class="muted"> {t("inboxes.test.code", { code: String(e.code) })}</span>}
            </p>
            <p>{e.message}</p>
            {e.details && <p class="muted">{e.details}</p>}
          </>
        )}
        <p class="hint">{t(unreachable ? "inboxes.test.unreachableHint" : "inboxes.test.failedHint")}</p>
      </div>
    );
  }
  return (
    <div class="check-result check-ok" data-test-result="ok">
      <p class="check-title">{t("inboxes.test.ok")}</p>
      <dl class="facts">
        <Fact term={t("inboxes.test.number")} name="number">
          {r.display_phone_number ?? t("inboxes.notSet")}
        </Fact>
        <Fact term={t("inboxes.test.verifiedName")} name="verified-name">
          {r.verified_name ?? t("inboxes.notSet")}
        </Fact>
        <Fact term={t("inboxes.test.quality")} name="quality">
          {qualityLabel(r.quality_rating)}
        </Fact>
        <Fact term={t("inboxes.list.tier")} name="tier">
          {tierLabel(r.messaging_limit_tier)}
        </Fact>
        {r.throughput_level && (
          <Fact term={t("inboxes.test.throughputLevel")} name="throughput-level">
            {r.throughput_level}
          </Fact>
        )}
      </dl>
    </div>
  );
}

function InboxCard({
  inbox,
  isAdmin,
  sandboxOn,
  onChanged,
  onDeleted,
}: {
  inbox: InboxView;
  isAdmin: boolean;
  sandboxOn: boolean;
  onChanged: (inbox: InboxView, message: string) => void;
  onDeleted: (inbox: InboxView) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [testing, setTesting] = useState(false);
  const [check, setCheck] = useState<{ result: ConnectionCheck } | { failed: string } | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const headingId = useId();
  const hidden = <span class="visually-hidden"> {inbox.name}</span>;

  const test = async () => {
    setTesting(true);
    setCheck(null);
    setError(null);
    try {
      const result = await api.post<ConnectionCheck>(`/api/inboxes/${inbox.id}/test`);
      setCheck({ result });
      // A successful check stores the number's display phone and tier.
      if (result.ok) onChanged(await api.get<InboxView>(`/api/inboxes/${inbox.id}`), "");
    } catch (e) {
      noticeSessionEnd(e);
      setCheck({ failed: messageOf(e) });
    } finally {
      setTesting(false);
    }
  };

  const remove = async () => {
    if (!window.confirm(t("inboxes.delete.confirm", { name: inbox.name }))) return;
    setDeleting(true);
    setError(null);
    try {
      await api.delete(`/api/inboxes/${inbox.id}`);
      onDeleted(inbox);
    } catch (e) {
      noticeSessionEnd(e);
      setError(t("inboxes.delete.failed", { name: inbox.name, message: messageOf(e) }));
      setDeleting(false);
    }
  };

  const closeEdit = () => {
    setEditing(false);
    setTimeout(() => editButton.current?.focus(), 0);
  };

  return (
    <li class="inbox-card" data-inbox={inbox.id} aria-labelledby={headingId}>
      <div class="inbox-head">
        <h3 id={headingId} class="inbox-name">
          {inbox.name}
        </h3>
        <span class={`badge provider-${inbox.provider}`} data-provider={inbox.provider}>
          {providerLabel(inbox.provider)}
        </span>
      </div>
      <dl class="facts">
        <Fact term={t("inboxes.list.number")} name="number">
          {inbox.display_phone || t("inboxes.notSet")}
        </Fact>
        <Fact term={t("inboxes.list.phoneNumberId")} name="phone-number-id">
          {inbox.phone_number_id}
        </Fact>
        <Fact term={t("inboxes.list.tier")} name="tier">
          {tierLabel(inbox.messaging_limit_tier)}
        </Fact>
        <Fact term={t("inboxes.list.cap")} name="cap">
          {t("inboxes.list.capValue", { n: inbox.throughput_cap })}
        </Fact>
      </dl>
      <div class="inbox-links">
        <a href={`/inboxes/${inbox.id}/templates`}>
          {t("inboxes.list.templates")}
          {hidden}
        </a>
        {inbox.provider === "sandbox" && sandboxOn && isAdmin && <a href="/sandbox">{t("inboxes.list.sandboxPhone")}</a>}
      </div>
      {isAdmin && inbox.provider === "cloud" && (
        <details class="help webhook-details">
          <summary>
            {t("inboxes.webhook.summary")}
            {hidden}
          </summary>
          <WebhookSetup inbox={inbox} />
        </details>
      )}
      {isAdmin && inbox.provider === "sandbox" && <p class="hint">{t("inboxes.sandbox.webhooksNote")}</p>}
      {isAdmin && !editing && (
        <div class="inbox-actions">
          <button type="button" class="button-secondary" onClick={() => void test()} disabled={testing}>
            {testing ? t("inboxes.test.pending") : t("inboxes.test.button")}
            {hidden}
          </button>
          <button type="button" class="button-secondary" ref={editButton} onClick={() => setEditing(true)}>
            {t("common.edit")}
            {hidden}
          </button>
          <button type="button" class="button-danger" onClick={() => void remove()} disabled={deleting}>
            {t("common.delete")}
            {hidden}
          </button>
        </div>
      )}
      {isAdmin && (
        <div class="inbox-live" aria-live="polite">
          {testing && <p class="muted">{t("inboxes.test.running")}</p>}
          {check && <CheckResult check={check} />}
        </div>
      )}
      {error && (
        <div class="alert" role="alert" data-inbox-error>
          {error}
        </div>
      )}
      {isAdmin && editing && (
        <EditForm
          inbox={inbox}
          onCancel={closeEdit}
          onSaved={(updated) => {
            if (updated) onChanged(updated, t("inboxes.edit.saved", { name: updated.name }));
            closeEdit();
          }}
        />
      )}
    </li>
  );
}

// ---- the page ----------------------------------------------------------------------------------

/** Shown once after connecting a Cloud API number: what to finish in Meta's settings. */
function ConnectedPanel({ inbox, onDone }: { inbox: InboxView; onDone: () => void }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), [inbox.id]);
  return (
    <section class="panel connected-panel" aria-labelledby="connected-heading" data-connected={inbox.id}>
      <h2 id="connected-heading" ref={ref} tabIndex={-1}>
        {t("inboxes.connected.title", { name: inbox.name })}
      </h2>
      <ol class="steps">
        <li>{t("inboxes.connected.step1")}</li>
        <li>{t("inboxes.connected.step2")}</li>
        <li>{t("inboxes.connected.step3")}</li>
      </ol>
      <WebhookSetup inbox={inbox} />
      <p>
        <button type="button" class="button-secondary" onClick={onDone}>
          {t("inboxes.connected.done")}
        </button>
      </p>
    </section>
  );
}

export function InboxesPage() {
  useTitle(t("inboxes.title"));
  const current = session.value;
  const isAdmin = current?.user.role === "admin";
  const sandboxOn = current?.features?.sandbox === true;
  const [items, setItems] = useState<InboxView[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [open, setOpen] = useState<"cloud" | "sandbox" | null>(null);
  const [connected, setConnected] = useState<InboxView | null>(null);
  const [status, setStatus] = useState("");

  const load = async () => {
    setLoading(true);
    setLoadError(null);
    try {
      const { data } = await api.get<{ data: InboxView[] }>("/api/inboxes");
      setItems(data);
    } catch (e) {
      noticeSessionEnd(e);
      setLoadError(messageOf(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const added = (inbox: InboxView) => {
    setItems((list) => [...(list ?? []), inbox]);
    setOpen(null);
  };
  const replace = (inbox: InboxView, message: string) => {
    setItems((list) => (list ?? []).map((i) => (i.id === inbox.id ? inbox : i)));
    if (connected?.id === inbox.id) setConnected(inbox);
    if (message) setStatus(message);
  };
  const deleted = (inbox: InboxView) => {
    setItems((list) => (list ?? []).filter((i) => i.id !== inbox.id));
    if (connected?.id === inbox.id) setConnected(null);
    setStatus(t("inboxes.delete.done", { name: inbox.name }));
    document.getElementById("main")?.focus();
  };
  const toggle = (which: "cloud" | "sandbox") => {
    setStatus("");
    setOpen((o) => (o === which ? null : which));
  };

  return (
    <>
      <div class="page-head">
        <h1>{t("inboxes.title")}</h1>
      </div>
      <p class="muted">{t("inboxes.intro")}</p>
      {!isAdmin && (
        <Notice data-notice="admins-only">
          <p>{t("inboxes.adminsOnly")}</p>
        </Notice>
      )}
      {isAdmin && (
        <div class="page-actions">
          <button type="button" onClick={() => toggle("cloud")} aria-expanded={open === "cloud"}>
            {t("inboxes.connect.title")}
          </button>
          {sandboxOn && (
            <button type="button" class="button-secondary" onClick={() => toggle("sandbox")} aria-expanded={open === "sandbox"}>
              {t("inboxes.sandbox.title")}
            </button>
          )}
        </div>
      )}
      <p class="status" role="status">
        {status}
      </p>
      {isAdmin && open === "cloud" && (
        <ConnectCloudForm
          onCancel={() => setOpen(null)}
          onConnected={(inbox) => {
            added(inbox);
            setConnected(inbox);
          }}
        />
      )}
      {isAdmin && open === "sandbox" && (
        <SandboxForm
          onCancel={() => setOpen(null)}
          onCreated={(inbox) => {
            added(inbox);
            setStatus(t("inboxes.sandbox.created", { name: inbox.name }));
          }}
        />
      )}
      {connected && <ConnectedPanel inbox={connected} onDone={() => setConnected(null)} />}
      <section class="inbox-list-section" aria-labelledby="inbox-list-heading" aria-busy={loading}>
        <h2 id="inbox-list-heading">{t("inboxes.list.title")}</h2>
        {loadError && (
          <div class="alert" role="alert">
            {t("inboxes.loadFailed", { message: loadError })}{" "}
            <button type="button" class="button-link" onClick={() => void load()}>
              {t("common.tryAgain")}
            </button>
          </div>
        )}
        {items === null ? (
          loading && <p class="muted">{t("common.loading")}</p>
        ) : items.length === 0 ? (
          <p class="muted" data-empty>
            {isAdmin ? t("inboxes.list.emptyAdmin") : t("inboxes.list.empty")}
          </p>
        ) : (
          <ul class="inbox-list">
            {items.map((inbox) => (
              <InboxCard key={inbox.id} inbox={inbox} isAdmin={isAdmin} sandboxOn={sandboxOn} onChanged={replace} onDeleted={deleted} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
