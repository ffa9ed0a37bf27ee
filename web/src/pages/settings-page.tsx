import type { TargetedSubmitEvent } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { api, messageOf } from "../api";
import { Notice, SaveButton, SelectField } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { errorsByField, useFormSubmission } from "../hooks/use-form-submission";
import { useTitle } from "../hooks/use-title";
import { t, tn } from "../i18n";
import { formatDateTime } from "../lib/format";
import { auth, noticeSessionEnd, session } from "../state/session";
import type { Role, User } from "../types";
import { FrequencyCapSection } from "./settings-frequency-cap";
import { RatesSection } from "./settings-rates";

/** GET/PATCH /api/workspace. */
type WorkspaceSettings = { id: number; name: string; default_country: string; opt_out_keywords: string[]; attribution_window_hours: number };
type UserRow = User & { created_at: string | null };
type ApiToken = { id: number; name: string; prefix: string; user_id: number; last_used_at: string | null; created_at: string | null };

/** Keywords typed one per line (commas also separate them). */
const keywordsOf = (text: string) =>
  text
    .split(/[\n,]/)
    .map((k) => k.trim())
    .filter(Boolean);

/** A labelled multi-line text box with optional hint and error. */
function TextArea({
  label,
  hint,
  error,
  value,
  onValue,
  rows = 4,
}: {
  label: string;
  hint?: string;
  error?: string | undefined;
  value: string;
  onValue: (v: string) => void;
  rows?: number;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      <textarea
        id={id}
        rows={rows}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** The header shows the workspace's name from the session: a rename updates it there. */
function rememberWorkspace(w: WorkspaceSettings) {
  const state = auth.value;
  if (state.status !== "signed-in") return;
  auth.value = { ...state, session: { ...state.session, workspace: { ...state.session.workspace, name: w.name, default_country: w.default_country } } };
}

function WorkspaceSection({ isAdmin }: { isAdmin: boolean }) {
  const [saved, setSaved] = useState<WorkspaceSettings | null>(null);
  const [form, setForm] = useState({ name: "", default_country: "", keywords: "", hours: "" });
  const [loadError, setLoadError] = useState<string | null>(null);
  const { errors, formError, status, pending, formRef, refuse, clearErrors, submit } = useFormSubmission();

  const show = (w: WorkspaceSettings) => {
    setSaved(w);
    setForm({ name: w.name, default_country: w.default_country, keywords: w.opt_out_keywords.join("\n"), hours: String(w.attribution_window_hours) });
  };

  useEffect(() => {
    api.get<WorkspaceSettings>("/api/workspace").then(show, (e) => {
      noticeSessionEnd(e);
      setLoadError(messageOf(e));
    });
  }, []);

  const set = (key: keyof typeof form) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    clearErrors({ name: "name", default_country: "default_country", keywords: "opt_out_keywords", hours: "attribution_window_hours" }[key]);
  };

  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const hours = Number(form.hours);
    if (form.hours.trim() === "" || !Number.isInteger(hours)) return refuse({ attribution_window_hours: t("settings.workspace.hoursWhole") });
    return submit(async () => {
      const updated = await api.patch<WorkspaceSettings>("/api/workspace", {
        name: form.name,
        default_country: form.default_country.trim().toUpperCase(),
        opt_out_keywords: keywordsOf(form.keywords),
        attribution_window_hours: hours,
      });
      show(updated);
      rememberWorkspace(updated);
      return t("settings.workspace.saved");
    });
  };

  return (
    <section class="panel" aria-labelledby="workspace-heading" data-section="workspace">
      <h2 id="workspace-heading">{t("settings.workspace.heading")}</h2>
      {loadError && <FormError message={t("settings.loadFailed", { message: loadError })} />}
      {!saved ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : isAdmin ? (
        <form class="stack settings-form" onSubmit={onSubmit} ref={formRef} noValidate>
          <FormError message={formError} />
          <Field
            label={t("settings.workspace.name")}
            value={form.name}
            onValue={set("name")}
            error={errors.name}
            required
            maxLength={100}
            autoComplete="organization"
          />
          <Field
            label={t("settings.workspace.country")}
            hint={t("settings.workspace.countryHint")}
            value={form.default_country}
            onValue={set("default_country")}
            error={errors.default_country}
            required
            maxLength={2}
            autoCapitalize="characters"
            class="input-short"
          />
          <TextArea
            label={t("settings.workspace.keywords")}
            hint={t("settings.workspace.keywordsHint")}
            value={form.keywords}
            onValue={set("keywords")}
            error={errors.opt_out_keywords}
            rows={5}
          />
          <Field
            label={t("settings.workspace.hours")}
            hint={t("settings.workspace.hoursHint")}
            type="number"
            inputMode="numeric"
            min={1}
            max={720}
            step={1}
            value={form.hours}
            onValue={set("hours")}
            error={errors.attribution_window_hours}
            class="input-short"
          />
          <div>
            <SaveButton pending={pending} label={t("settings.workspace.save")} />
          </div>
        </form>
      ) : (
        <>
          <p class="muted">{t("settings.workspace.adminsOnly")}</p>
          <dl class="summary">
            <div class="summary-row">
              <dt>{t("settings.workspace.name")}</dt>
              <dd>{saved.name}</dd>
            </div>
            <div class="summary-row">
              <dt>{t("settings.workspace.country")}</dt>
              <dd>{saved.default_country}</dd>
            </div>
            <div class="summary-row">
              <dt>{t("settings.workspace.keywords")}</dt>
              <dd>{saved.opt_out_keywords.length ? saved.opt_out_keywords.join(", ") : t("settings.workspace.noKeywords")}</dd>
            </div>
            <div class="summary-row">
              <dt>{t("settings.workspace.hours")}</dt>
              <dd>{tn("settings.workspace.hoursValue", saved.attribution_window_hours)}</dd>
            </div>
          </dl>
        </>
      )}
      <p class="status" role="status">
        {status}
      </p>
    </section>
  );
}

const ROLE_OPTIONS = () => [
  { value: "operator", label: t("settings.users.roleOperator") },
  { value: "admin", label: t("settings.users.roleAdmin") },
];

const roleName = (role: Role) => t(role === "admin" ? "common.role.admin" : "common.role.operator");

function NewUserForm({ onCreated }: { onCreated: (u: UserRow) => void }) {
  const empty = { name: "", email: "", password: "", role: "operator" };
  const [form, setForm] = useState(empty);
  const { errors, formError, pending, formRef, clearErrors, submit } = useFormSubmission();
  const set = (key: keyof typeof empty) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    clearErrors(key);
  };
  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    return submit(async () => {
      const created = await api.post<UserRow>("/api/users", form);
      setForm(empty);
      onCreated(created);
      return undefined;
    });
  };
  return (
    <form class="stack settings-form" onSubmit={onSubmit} ref={formRef} noValidate aria-labelledby="new-user-heading">
      <h3 id="new-user-heading">{t("settings.users.newHeading")}</h3>
      <FormError message={formError} />
      <div class="field-row">
        <Field label={t("settings.users.name")} value={form.name} onValue={set("name")} error={errors.name} maxLength={100} autoComplete="off" />
        <Field
          label={t("settings.users.email")}
          type="email"
          value={form.email}
          onValue={set("email")}
          error={errors.email}
          required
          maxLength={254}
          autoComplete="off"
        />
      </div>
      <div class="field-row">
        <Field
          label={t("settings.users.password")}
          hint={t("settings.users.passwordHint")}
          type="password"
          value={form.password}
          onValue={set("password")}
          error={errors.password}
          required
          minLength={10}
          maxLength={200}
          autoComplete="new-password"
        />
        <SelectField label={t("settings.users.role")} value={form.role} onValue={set("role")} options={ROLE_OPTIONS()} error={errors.role} name="role" />
      </div>
      <div>
        <button type="submit" disabled={pending}>
          {pending ? t("settings.users.adding") : t("settings.users.add")}
        </button>
      </div>
    </form>
  );
}

function PasswordForm({ user, onDone, onCancel }: { user: UserRow; onDone: () => void; onCancel: () => void }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    ref.current?.querySelector("input")?.focus();
  }, [error]);
  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setPending(true);
    setError(undefined);
    setFormError(null);
    try {
      await api.patch(`/api/users/${user.id}`, { password });
      onDone();
    } catch (err) {
      noticeSessionEnd(err);
      const byField = errorsByField(err);
      if (byField.password) setError(byField.password);
      else setFormError(messageOf(err));
      setPending(false);
    }
  };
  return (
    <form class="inline-form user-password" onSubmit={onSubmit} ref={ref} noValidate>
      <Field
        label={t("settings.users.newPassword", { name: user.name || user.email })}
        hint={t("settings.users.newPasswordHint")}
        type="password"
        value={password}
        onValue={(v) => {
          setPassword(v);
          setError(undefined);
        }}
        error={error}
        required
        minLength={10}
        maxLength={200}
        autoComplete="new-password"
      />
      <div class="button-row">
        <SaveButton pending={pending} label={t("settings.users.setPassword")} />
        <button type="button" class="button-secondary" onClick={onCancel}>
          {t("common.cancel")}
        </button>
      </div>
      <FormError message={formError} />
    </form>
  );
}

function UsersSection({ me }: { me: number }) {
  const [users, setUsers] = useState<UserRow[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState<number | null>(null);
  const [resetting, setResetting] = useState<number | null>(null);

  const load = () =>
    api.get<{ data: UserRow[] }>("/api/users").then(
      ({ data }) => setUsers(data),
      (e) => {
        noticeSessionEnd(e);
        setLoadError(messageOf(e));
      },
    );
  useEffect(() => {
    void load();
  }, []);

  const nameOf = (u: UserRow) => u.name || u.email;

  const changeRole = async (u: UserRow) => {
    const role: Role = u.role === "admin" ? "operator" : "admin";
    setBusy(u.id);
    setActionError(null);
    setStatus("");
    try {
      const updated = await api.patch<UserRow>(`/api/users/${u.id}`, { role });
      setUsers((list) => list?.map((x) => (x.id === u.id ? updated : x)) ?? null);
      setStatus(t("settings.users.roleChanged", { name: nameOf(u), role: roleName(role) }));
    } catch (e) {
      noticeSessionEnd(e);
      setActionError(t("settings.users.roleFailed", { name: nameOf(u), message: messageOf(e) }));
    } finally {
      setBusy(null);
    }
  };

  const remove = async (u: UserRow) => {
    if (!window.confirm(t("settings.users.confirmRemove", { name: nameOf(u) }))) return;
    setBusy(u.id);
    setActionError(null);
    setStatus("");
    try {
      await api.delete(`/api/users/${u.id}`);
      setUsers((list) => list?.filter((x) => x.id !== u.id) ?? null);
      setStatus(t("settings.users.removed", { name: nameOf(u) }));
    } catch (e) {
      noticeSessionEnd(e);
      setActionError(t("settings.users.removeFailed", { name: nameOf(u), message: messageOf(e) }));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="panel" aria-labelledby="users-heading" data-section="users">
      <h2 id="users-heading">{t("settings.users.heading")}</h2>
      <p class="muted">{t("settings.users.intro")}</p>
      <p class="status" role="status">
        {status}
      </p>
      <FormError message={actionError} />
      {loadError && <FormError message={t("settings.loadFailed", { message: loadError })} />}
      {users === null ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : (
        <ul class="settings-list" aria-label={t("settings.users.heading")}>
          {users.map((u) => (
            <li key={u.id} data-user={u.email}>
              <div class="settings-item">
                <div class="settings-item-text">
                  <p class="settings-item-name">
                    {nameOf(u)}
                    {u.id === me && <span class="muted"> {t("settings.users.you")}</span>}
                  </p>
                  <p class="muted">
                    {u.email} · <span class="role-badge">{roleName(u.role)}</span>
                    {u.created_at && <> · {t("settings.users.added", { date: formatDateTime(u.created_at) })}</>}
                  </p>
                </div>
                <div class="button-row">
                  <button type="button" class="button-secondary" disabled={busy === u.id} onClick={() => void changeRole(u)}>
                    {u.role === "admin" ? t("settings.users.makeOperator") : t("settings.users.makeAdmin")}
                    <span class="visually-hidden"> {nameOf(u)}</span>
                  </button>
                  <button
                    type="button"
                    class="button-secondary"
                    aria-expanded={resetting === u.id}
                    onClick={() => setResetting(resetting === u.id ? null : u.id)}
                  >
                    {t("settings.users.resetPassword")}
                    <span class="visually-hidden"> {nameOf(u)}</span>
                  </button>
                  <button type="button" class="button-danger" disabled={busy === u.id} onClick={() => void remove(u)}>
                    {t("settings.users.remove")}
                    <span class="visually-hidden"> {nameOf(u)}</span>
                  </button>
                </div>
              </div>
              {resetting === u.id && (
                <PasswordForm
                  user={u}
                  onCancel={() => setResetting(null)}
                  onDone={() => {
                    setResetting(null);
                    setStatus(t("settings.users.passwordChanged", { name: nameOf(u) }));
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      <NewUserForm
        onCreated={(u) => {
          setUsers((list) => (list ? [...list, u] : list));
          setStatus(t("settings.users.created", { name: nameOf(u), role: roleName(u.role) }));
        }}
      />
    </section>
  );
}

function NewToken({ token, name, onDone }: { token: string; name: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string>("");
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(t("settings.tokens.copied"));
    } catch {
      inputRef.current?.select();
      setCopied(t("settings.tokens.copyByHand"));
    }
  };
  return (
    <Notice tone="warning" data-notice="new-token">
      <p>
        <strong>{t("settings.tokens.created", { name })}</strong> {t("settings.tokens.onlyOnce")}
      </p>
      <div class="field">
        <label for={id}>{t("settings.tokens.value")}</label>
        <div class="token-copy">
          <input id={id} ref={inputRef} class="token-value" readOnly value={token} spellcheck={false} autoComplete="off" data-token />
          <button type="button" onClick={() => void copy()}>
            {t("settings.tokens.copy")}
          </button>
        </div>
      </div>
      <p class="status" role="status">
        {copied}
      </p>
      <p class="hint">{t("settings.tokens.usage")}</p>
      <button type="button" class="button-secondary" onClick={onDone}>
        {t("settings.tokens.done")}
      </button>
    </Notice>
  );
}

function TokensSection({ me, isAdmin }: { me: number; isAdmin: boolean }) {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [owners, setOwners] = useState<Map<number, string>>(new Map());
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [fresh, setFresh] = useState<{ token: string; name: string } | null>(null);
  const [status, setStatus] = useState("");

  useEffect(() => {
    api.get<{ data: ApiToken[] }>("/api/tokens").then(
      ({ data }) => setTokens(data),
      (e) => {
        noticeSessionEnd(e);
        setLoadError(messageOf(e));
      },
    );
    // Admins see everyone's tokens: name their owners.
    if (isAdmin) {
      api.get<{ data: UserRow[] }>("/api/users").then(({ data }) => setOwners(new Map(data.map((u) => [u.id, u.name || u.email]))), noticeSessionEnd);
    }
  }, []);

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setPending(true);
    setNameError(undefined);
    setFormError(null);
    setStatus("");
    try {
      const { token, ...created } = await api.post<ApiToken & { token: string }>("/api/tokens", { name });
      setTokens((list) => [created, ...(list ?? [])]);
      setFresh({ token, name: created.name });
      setName("");
    } catch (err) {
      noticeSessionEnd(err);
      const byField = errorsByField(err);
      if (byField.name) setNameError(byField.name);
      else setFormError(messageOf(err));
    } finally {
      setPending(false);
    }
  };

  const revoke = async (tok: ApiToken) => {
    if (!window.confirm(t("settings.tokens.confirmRevoke", { name: tok.name }))) return;
    setActionError(null);
    setStatus("");
    try {
      await api.delete(`/api/tokens/${tok.id}`);
      setTokens((list) => list?.filter((x) => x.id !== tok.id) ?? null);
      setStatus(t("settings.tokens.revoked", { name: tok.name }));
    } catch (e) {
      noticeSessionEnd(e);
      setActionError(t("settings.tokens.revokeFailed", { name: tok.name, message: messageOf(e) }));
    }
  };

  return (
    <section class="panel" aria-labelledby="tokens-heading" data-section="tokens">
      <h2 id="tokens-heading">{t("settings.tokens.heading")}</h2>
      <p class="muted">{isAdmin ? t("settings.tokens.introAdmin") : t("settings.tokens.intro")}</p>
      {fresh ? (
        <NewToken token={fresh.token} name={fresh.name} onDone={() => setFresh(null)} />
      ) : (
        <form class="inline-form" onSubmit={onSubmit} noValidate>
          <Field
            label={t("settings.tokens.name")}
            hint={t("settings.tokens.nameHint")}
            value={name}
            onValue={setName}
            error={nameError}
            required
            maxLength={100}
            autoComplete="off"
          />
          <button type="submit" disabled={pending}>
            {pending ? t("settings.tokens.creating") : t("settings.tokens.create")}
          </button>
        </form>
      )}
      <FormError message={formError} />
      <p class="status" role="status">
        {status}
      </p>
      <FormError message={actionError} />
      {loadError && <FormError message={t("settings.loadFailed", { message: loadError })} />}
      {tokens === null ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : tokens.length === 0 ? (
        <p class="muted">{t("settings.tokens.none")}</p>
      ) : (
        <ul class="settings-list" aria-label={t("settings.tokens.listLabel")}>
          {tokens.map((tok) => (
            <li key={tok.id} data-token-id={tok.id}>
              <div class="settings-item">
                <div class="settings-item-text">
                  <p class="settings-item-name">
                    {tok.name} <code class="token-prefix">{tok.prefix}…</code>
                  </p>
                  <p class="muted">
                    {tok.created_at ? t("settings.tokens.createdAt", { date: formatDateTime(tok.created_at) }) : ""}
                    {" · "}
                    {tok.last_used_at ? t("settings.tokens.lastUsed", { date: formatDateTime(tok.last_used_at) }) : t("settings.tokens.neverUsed")}
                    {isAdmin && tok.user_id !== me && owners.has(tok.user_id) && <> · {t("settings.tokens.owner", { name: owners.get(tok.user_id)! })}</>}
                  </p>
                </div>
                <div class="button-row">
                  <button type="button" class="button-danger" onClick={() => void revoke(tok)}>
                    {t("settings.tokens.revoke")}
                    <span class="visually-hidden"> {tok.name}</span>
                  </button>
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Workspace settings, the people of the workspace (admins) and API tokens. */
export function SettingsPage() {
  useTitle(t("settings.title"));
  const current = session.value;
  if (!current) return null;
  const isAdmin = current.user.role === "admin";
  return (
    <>
      <h1>{t("settings.title")}</h1>
      <p class="muted">{isAdmin ? t("settings.introAdmin") : t("settings.intro")}</p>
      <WorkspaceSection isAdmin={isAdmin} />
      <FrequencyCapSection isAdmin={isAdmin} />
      {isAdmin && <UsersSection me={current.user.id} />}
      <TokensSection me={current.user.id} isAdmin={isAdmin} />
      <RatesSection isAdmin={isAdmin} />
      {isAdmin && current.features?.sandbox && (
        <section class="panel" aria-labelledby="sandbox-heading" data-section="sandbox">
          <h2 id="sandbox-heading">{t("settings.sandbox.heading")}</h2>
          <p>{t("settings.sandbox.text")}</p>
          <a class="button button-secondary" href="/sandbox">
            {t("settings.sandbox.link")}
          </a>
        </section>
      )}
    </>
  );
}
