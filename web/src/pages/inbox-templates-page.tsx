import { useEffect, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { type TemplateComponent, type TemplateValues, templatePreview } from "../../../worker/domain/templates";
import { ApiError, api, messageOf } from "../api";
import { Checkbox, SelectField } from "../components/controls";
import { Field } from "../components/field";
import { WhatsAppBubble } from "../components/whatsapp-bubble";
import { useTitle } from "../hooks/use-title";
import { locale, type MessageKey, t, tn } from "../i18n";
import { formatDateTime } from "../lib/format";
import { noticeSessionEnd } from "../state/session";
import type { InboxView, Template, TemplateSyncResult } from "../types";

const STATUSES = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] as const;
type KnownStatus = (typeof STATUSES)[number];

const STATUS_LABEL: Record<KnownStatus, MessageKey> = {
  APPROVED: "templates.status.approved",
  PENDING: "templates.status.pending",
  REJECTED: "templates.status.rejected",
  PAUSED: "templates.status.paused",
  DISABLED: "templates.status.disabled",
};

/** What each status means for sending, shown under a template that cannot be sent. */
const STATUS_NOTE: Partial<Record<KnownStatus, MessageKey>> = {
  PENDING: "templates.statusNote.pending",
  REJECTED: "templates.statusNote.rejected",
  PAUSED: "templates.statusNote.paused",
  DISABLED: "templates.statusNote.disabled",
};

const CATEGORY_LABEL: Record<string, MessageKey> = {
  MARKETING: "templates.category.marketing",
  UTILITY: "templates.category.utility",
  AUTHENTICATION: "templates.category.authentication",
};

const isKnown = (s: string): s is KnownStatus => (STATUSES as readonly string[]).includes(s);
const statusLabel = (s: string) => (isKnown(s) ? t(STATUS_LABEL[s]) : s);
const categoryLabel = (c: string) => (CATEGORY_LABEL[c] ? t(CATEGORY_LABEL[c]) : c || t("templates.category.none"));

/** "pt_BR" → "Portuguese (Brazil)" in the UI's language, when the browser knows it. */
function languageName(code: string): string | null {
  try {
    const name = new Intl.DisplayNames([locale.value], { type: "language" }).of(code.replace("_", "-"));
    return name && name !== code ? name : null;
  } catch {
    return null;
  }
}

function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge template-status template-status-${isKnown(status) ? status.toLowerCase() : "other"}`} data-template-status={status}>
      {statusLabel(status)}
    </span>
  );
}

/**
 * The values Meta was given as examples when the template was submitted, keyed like the
 * template's variables. A URL button's example is the whole URL: its variable part is what
 * follows the URL's fixed beginning.
 */
function exampleValues(template: Template): TemplateValues {
  const values: TemplateValues = {};
  const buttons = (template.components as TemplateComponent[]).find((c) => c.type === "BUTTONS");
  for (const v of template.variables) {
    if (!v.example) continue;
    if (v.component === "header" && v.kind === "text") (values.header ??= {})[v.name] = v.example;
    else if (v.component === "header") values.media = { link: v.example };
    else if (v.component === "body") (values.body ??= {})[v.name] = v.example;
    else if (v.button_index !== undefined) {
      const url = buttons && buttons.type === "BUTTONS" ? buttons.buttons[v.button_index]?.url : undefined;
      const fixed = url?.split("{{")[0] ?? "";
      (values.buttons ??= {})[String(v.button_index)] = fixed && v.example.startsWith(fixed) ? v.example.slice(fixed.length) : v.example;
    }
  }
  return values;
}

function TemplateCard({ template, withExamples }: { template: Template; withExamples: boolean }) {
  const preview = templatePreview(template.components as TemplateComponent[], withExamples ? exampleValues(template) : {});
  const language = languageName(template.language);
  const note = isKnown(template.status) ? STATUS_NOTE[template.status] : undefined;
  const hasVariables = template.variables.length > 0;
  return (
    <li class="template-card" data-template={template.name} data-language={template.language}>
      <div class="template-head">
        <h3 class="template-name">{template.name}</h3>
        <StatusBadge status={template.status} />
      </div>
      <dl class="facts">
        <div class="fact">
          <dt>{t("templates.language")}</dt>
          <dd>
            <span>{template.language}</span>
            {language && <span class="muted"> · {language}</span>}
          </dd>
        </div>
        <div class="fact">
          <dt>{t("templates.category")}</dt>
          <dd>{categoryLabel(template.category)}</dd>
        </div>
      </dl>
      {note && <p class="hint template-note">{t(note)}</p>}
      <WhatsAppBubble
        content={preview}
        caption={hasVariables ? t(withExamples ? "templates.preview.examples" : "templates.preview.placeholders") : t("templates.preview.plain")}
      />
    </li>
  );
}

type Loaded = { inbox: InboxView; templates: Template[] };

/** The newest sync time among the templates, or null when none was synced. */
function lastSync(templates: Template[]): string | null {
  let newest: string | null = null;
  for (const tpl of templates) if (tpl.synced_at && (!newest || tpl.synced_at > newest)) newest = tpl.synced_at;
  return newest;
}

export function InboxTemplatesPage() {
  const { params } = useRoute();
  const id = Number(params.id);
  const [data, setData] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<{ message: string; notFound: boolean } | null>(null);
  const [loading, setLoading] = useState(true);
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState("");
  const [withExamples, setWithExamples] = useState(true);
  const [syncing, setSyncing] = useState(false);
  const [syncResult, setSyncResult] = useState<{ ok: TemplateSyncResult; at: string } | null>(null);
  const [syncError, setSyncError] = useState<string | null>(null);
  useTitle(data ? t("templates.pageTitle", { name: data.inbox.name }) : t("templates.title"));

  const load = async () => {
    setLoading(true);
    setLoadError(null);
    try {
      const [inbox, list] = await Promise.all([api.get<InboxView>(`/api/inboxes/${id}`), api.get<{ data: Template[] }>(`/api/inboxes/${id}/templates`)]);
      setData({ inbox, templates: list.data });
    } catch (e) {
      noticeSessionEnd(e);
      setLoadError({ message: messageOf(e), notFound: e instanceof ApiError && (e.status === 404 || e.status === 400) });
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, [id]);

  const sync = async () => {
    setSyncing(true);
    setSyncError(null);
    setSyncResult(null);
    try {
      const ok = await api.post<TemplateSyncResult>(`/api/inboxes/${id}/templates/sync`);
      const list = await api.get<{ data: Template[] }>(`/api/inboxes/${id}/templates`);
      setData((d) => (d ? { ...d, templates: list.data } : d));
      setSyncResult({ ok, at: new Date().toISOString() });
    } catch (e) {
      noticeSessionEnd(e);
      const provider =
        e instanceof ApiError && e.details && typeof e.details === "object" && !Array.isArray(e.details) ? (e.details as { title?: unknown }).title : undefined;
      setSyncError(t("templates.sync.failed", { message: typeof provider === "string" ? `${provider}: ${messageOf(e)}` : messageOf(e) }));
    } finally {
      setSyncing(false);
    }
  };

  if (loadError) {
    return (
      <>
        <p class="breadcrumb">
          <a href="/inboxes">{t("common.nav.inboxes")}</a>
        </p>
        <h1>{t("templates.title")}</h1>
        <div class="alert" role="alert">
          {loadError.notFound ? t("templates.inboxNotFound") : t("templates.loadFailed", { message: loadError.message })}{" "}
          {!loadError.notFound && (
            <button type="button" class="button-link" onClick={() => void load()}>
              {t("common.tryAgain")}
            </button>
          )}
        </div>
      </>
    );
  }
  if (!data) {
    return (
      <>
        <p class="breadcrumb">
          <a href="/inboxes">{t("common.nav.inboxes")}</a>
        </p>
        <h1>{t("templates.title")}</h1>
        <p class="muted" aria-busy={loading}>
          {t("common.loading")}
        </p>
      </>
    );
  }

  const { inbox, templates } = data;
  const synced = lastSync(templates);
  const q = query.trim().toLowerCase();
  const shown = templates.filter((tpl) => (!status || tpl.status === status) && (!q || tpl.name.toLowerCase().includes(q)));
  const countOf = (s: string) => templates.filter((tpl) => tpl.status === s).length;
  const statusOptions = [
    { value: "", label: t("templates.filter.anyStatus", { n: templates.length }) },
    ...STATUSES.map((s) => ({ value: s, label: t("templates.filter.statusCount", { status: statusLabel(s), n: countOf(s) }) })),
  ];

  return (
    <>
      <p class="breadcrumb">
        <a href="/inboxes">{t("common.nav.inboxes")}</a>
      </p>
      <div class="page-head">
        <h1>{t("templates.pageTitle", { name: inbox.name })}</h1>
      </div>
      <p class="muted">{inbox.display_phone ? t("templates.intro", { phone: inbox.display_phone }) : t("templates.introNoPhone")}</p>

      <section class="panel sync-panel" aria-labelledby="sync-heading">
        <h2 id="sync-heading">{t("templates.sync.title")}</h2>
        <p class="hint panel-intro">{t("templates.sync.hint")}</p>
        <div class="sync-row">
          <button type="button" onClick={() => void sync()} disabled={syncing}>
            {syncing ? t("templates.sync.pending") : t("templates.sync.button")}
          </button>
          <p class="sync-when" data-synced-at={synced ?? ""}>
            {synced ? t("templates.sync.last", { when: formatDateTime(synced) }) : t("templates.sync.never")}
          </p>
        </div>
        <p class="status" role="status" data-sync-result>
          {syncResult &&
            (syncResult.ok.removed > 0
              ? `${tn("templates.sync.done", syncResult.ok.synced)} ${tn("templates.sync.removed", syncResult.ok.removed)}`
              : tn("templates.sync.done", syncResult.ok.synced))}
        </p>
        {syncError && (
          <div class="alert" role="alert" data-sync-error>
            {syncError}
          </div>
        )}
      </section>

      <section aria-labelledby="templates-heading">
        <h2 id="templates-heading">{t("templates.list.title")}</h2>
        {templates.length === 0 ? (
          <p class="muted" data-empty>
            {t("templates.list.empty")}
          </p>
        ) : (
          <>
            <form class="filters" role="search" aria-label={t("templates.list.title")} onSubmit={(e) => e.preventDefault()}>
              <Field label={t("templates.filter.search")} type="search" value={query} onValue={setQuery} name="q" autoComplete="off" />
              <SelectField label={t("templates.filter.status")} value={status} onValue={setStatus} options={statusOptions} name="status" />
            </form>
            <Checkbox label={t("templates.preview.toggle")} hint={t("templates.preview.toggleHint")} checked={withExamples} onChecked={setWithExamples} />
            <p class="muted template-count" role="status">
              {shown.length === templates.length
                ? tn("templates.list.count", templates.length)
                : t("templates.list.showing", { shown: shown.length, total: templates.length })}
            </p>
            {shown.length === 0 ? (
              <p class="muted">{t("templates.list.noMatch")}</p>
            ) : (
              <ul class="template-list">
                {shown.map((tpl) => (
                  <TemplateCard key={tpl.id} template={tpl} withExamples={withExamples} />
                ))}
              </ul>
            )}
          </>
        )}
      </section>
    </>
  );
}
