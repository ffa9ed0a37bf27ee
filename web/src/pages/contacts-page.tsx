import type { TargetedSubmitEvent } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError, api, fieldErrors, messageOf } from "../api";
import { ErrorText, RadioGroup, SelectField } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { locale, t, tn } from "../i18n";
import { labels as labelsState, loadLabels } from "../state/labels";
import { noticeSessionEnd } from "../state/session";
import type { BulkLabelResult, ContactListPage, ContactView, Label } from "../types";
import { ContactMessagePanel } from "./contact-message-panel";
import { Chip, LabelChecks } from "./contacts-shared";

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;

/** The list's filters, as the address bar and GET /api/contacts write them. */
type Filter = { q: string; labels: number[]; match: "any" | "all"; optedOut: "" | "true" | "false" };

function filterOf(query: Record<string, string | undefined>): Filter {
  const labels = /^\d+(,\d+)*$/.test(query.labels ?? "") ? [...new Set(query.labels!.split(",").map(Number))] : [];
  return {
    q: (query.q ?? "").trim(),
    labels,
    match: query.match === "all" ? "all" : "any",
    optedOut: query.opted_out === "true" || query.opted_out === "false" ? query.opted_out : "",
  };
}

/** `?q=…&labels=1,2&match=all&opted_out=true`, leaving out what is not set. */
function searchOf(filter: Filter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.q) params.set("q", filter.q);
  if (filter.labels.length) params.set("labels", filter.labels.join(","));
  if (filter.labels.length > 1 && filter.match === "all") params.set("match", "all");
  if (filter.optedOut) params.set("opted_out", filter.optedOut);
  return params;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function formatDate(iso: string): string {
  let f = dateFormats.get(locale.value);
  if (!f) dateFormats.set(locale.value, (f = new Intl.DateTimeFormat(locale.value, { dateStyle: "medium" })));
  return f.format(new Date(iso));
}

const displayName = (c: ContactView) => c.name || c.phone;

type AttributeRow = { id: number; key: string; value: string };
let rowSeq = 0;
const rowsOf = (attributes: Record<string, string>): AttributeRow[] => Object.entries(attributes).map(([key, value]) => ({ id: ++rowSeq, key, value }));

/** Adding (contact = null) or editing a contact. */
function ContactForm({
  contact,
  allLabels,
  onSaved,
  onDeleted,
  onCancel,
}: {
  contact: ContactView | null;
  allLabels: Label[];
  onSaved: (c: ContactView, created: boolean) => void;
  onDeleted: (c: ContactView) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(contact?.name ?? "");
  const [phone, setPhone] = useState(contact?.phone ?? "");
  const [optedOut, setOptedOut] = useState(contact?.opted_out ?? false);
  const [rows, setRows] = useState<AttributeRow[]>(() => rowsOf(contact?.attributes ?? {}));
  const [labelIds, setLabelIds] = useState<number[]>(contact?.labels.map((l) => l.id) ?? []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const id = useId();

  useEffect(() => {
    headingRef.current?.focus();
  }, [contact?.id]);

  const setRow = (rowId: number, change: Partial<AttributeRow>) => setRows(rows.map((r) => (r.id === rowId ? { ...r, ...change } : r)));

  /** Problems the browser can see before asking the server: a value without a name, a name twice. */
  function localErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const seen = new Set<string>();
    for (const r of rows) {
      const key = r.key.trim();
      if (!key) {
        if (r.value.trim()) out[`row.${r.id}`] = t("contacts.form.attributeKeyMissing");
        continue;
      }
      if (seen.has(key)) out[`row.${r.id}`] = t("contacts.form.attributeKeyTwice", { key });
      seen.add(key);
    }
    return out;
  }

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setFormError(null);
    const local = localErrors();
    if (Object.keys(local).length) {
      setErrors(local);
      setFormError(t("contacts.form.fixErrors"));
      return;
    }
    const attributes: Record<string, string> = {};
    for (const r of rows) if (r.key.trim()) attributes[r.key.trim()] = r.value;
    const body = { name, phone, attributes, label_ids: labelIds, opted_out: optedOut };
    setPending(true);
    setErrors({});
    try {
      const saved = contact ? await api.patch<ContactView>(`/api/contacts/${contact.id}`, body) : await api.post<ContactView>("/api/contacts", body);
      onSaved(saved, !contact);
    } catch (err) {
      noticeSessionEnd(err);
      if (err instanceof ApiError && err.code === "conflict") {
        setErrors({ phone: t("contacts.form.phoneTaken") });
        setFormError(t("contacts.form.fixErrors"));
      } else {
        const fields = fieldErrors(err);
        if (fields.phone) fields.phone = t("contacts.form.phoneInvalid", { reason: fields.phone });
        // An attribute's error belongs to its row.
        for (const r of rows) {
          const message = fields[`attributes.${r.key.trim()}`];
          if (message) fields[`row.${r.id}`] = message;
        }
        setErrors(fields);
        setFormError(Object.keys(fields).length ? t("contacts.form.fixErrors") : messageOf(err));
      }
    } finally {
      setPending(false);
    }
  };

  const onDelete = async () => {
    if (!contact || !window.confirm(t("contacts.form.confirmDelete", { name: displayName(contact) }))) return;
    setPending(true);
    setFormError(null);
    try {
      await api.delete(`/api/contacts/${contact.id}`);
      onDeleted(contact);
    } catch (err) {
      noticeSessionEnd(err);
      setFormError(messageOf(err));
      setPending(false);
    }
  };

  const attributesError = errors.attributes;
  return (
    <section class="panel contact-form" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} class="focus-target" tabIndex={-1} ref={headingRef}>
        {contact ? t("contacts.form.editTitle", { name: displayName(contact) }) : t("contacts.form.addTitle")}
      </h2>
      <form class="stack" onSubmit={onSubmit} noValidate>
        <FormError message={formError} />
        <Field label={t("contacts.form.name")} value={name} onValue={setName} error={errors.name} maxLength={200} autoComplete="off" name="name" />
        <Field
          label={t("contacts.form.phone")}
          hint={t("contacts.form.phoneHint")}
          value={phone}
          onValue={setPhone}
          error={errors.phone}
          type="tel"
          required
          maxLength={40}
          autoComplete="off"
          name="phone"
        />
        <fieldset
          class="choice-group attributes"
          aria-describedby={[`${id}-attributes-hint`, attributesError ? `${id}-attributes-error` : ""].filter(Boolean).join(" ")}
        >
          <legend>{t("contacts.form.attributes")}</legend>
          <p id={`${id}-attributes-hint`} class="hint">
            {t("contacts.form.attributesHint")}
          </p>
          <ErrorText id={`${id}-attributes-error`} error={attributesError} />
          {rows.map((r, i) => {
            const rowError = errors[`row.${r.id}`];
            return (
              <div key={r.id} class="attribute-row" data-attribute-row={i}>
                <div class="field">
                  <label for={`${id}-key-${r.id}`}>{t("contacts.form.attributeKey", { n: i + 1 })}</label>
                  <input
                    id={`${id}-key-${r.id}`}
                    value={r.key}
                    onInput={(e) => setRow(r.id, { key: e.currentTarget.value })}
                    maxLength={64}
                    autoComplete="off"
                    aria-invalid={rowError ? "true" : undefined}
                    aria-describedby={rowError ? `${id}-row-${r.id}-error` : undefined}
                  />
                </div>
                <div class="field">
                  <label for={`${id}-value-${r.id}`}>{t("contacts.form.attributeValue", { n: i + 1 })}</label>
                  <input
                    id={`${id}-value-${r.id}`}
                    value={r.value}
                    onInput={(e) => setRow(r.id, { value: e.currentTarget.value })}
                    maxLength={1000}
                    autoComplete="off"
                  />
                </div>
                <button type="button" class="button-secondary" onClick={() => setRows(rows.filter((x) => x.id !== r.id))}>
                  {t("contacts.form.attributeRemove")}
                  <span class="visually-hidden"> {t("contacts.form.attributeKey", { n: i + 1 })}</span>
                </button>
                <ErrorText id={`${id}-row-${r.id}-error`} error={rowError} />
              </div>
            );
          })}
          <p>
            <button type="button" class="button-secondary" onClick={() => setRows([...rows, { id: ++rowSeq, key: "", value: "" }])}>
              {t("contacts.form.attributeAdd")}
            </button>
          </p>
        </fieldset>
        <LabelChecks legend={t("contacts.form.labels")} all={allLabels} chosen={labelIds} onChosen={setLabelIds} error={errors.label_ids} />
        <div class="checkbox">
          <input
            id={`${id}-opted-out`}
            type="checkbox"
            checked={optedOut}
            onChange={(e) => setOptedOut(e.currentTarget.checked)}
            aria-describedby={`${id}-opted-out-hint`}
          />
          <label for={`${id}-opted-out`}>{t("contacts.form.optedOut")}</label>
          <p id={`${id}-opted-out-hint`} class="hint">
            {t("contacts.form.optedOutHint")}
          </p>
        </div>
        <div class="form-actions">
          <button type="submit" disabled={pending}>
            {pending ? t("common.saving") : contact ? t("contacts.form.save") : t("contacts.form.add")}
          </button>
          <button type="button" class="button-secondary" onClick={onCancel} disabled={pending}>
            {t("common.cancel")}
          </button>
          {contact && (
            <button type="button" class="button-danger form-actions-end" onClick={() => void onDelete()} disabled={pending}>
              {t("contacts.form.delete")}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

/** The selection for bulk changes: some contacts by id, or every contact matching the filter. */
type Selection = { key: string; ids: Set<number>; all: boolean };

export function ContactsPage() {
  useTitle(t("contacts.title"));
  const { query, route } = useLocation();
  const filter = filterOf(query);
  const search = searchOf(filter);
  const filterKey = search.toString();
  const navigate = (next: Filter) => {
    const qs = searchOf(next).toString();
    route(`/contacts${qs ? `?${qs}` : ""}`, true);
  };

  useEffect(() => {
    void loadLabels();
  }, []);
  const allLabels = labelsState.value.items ?? [];

  // The search box runs the search a moment after the last key.
  const [text, setText] = useState(filter.q);
  useEffect(() => {
    if (text.trim() === filter.q) return;
    const timer = setTimeout(() => navigate({ ...filter, q: text.trim() }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
    // The filters of the moment the timer fires, not of the last key.
  }, [text, filterKey]);
  useEffect(() => {
    if (text.trim() !== filter.q) setText(filter.q);
  }, [filter.q]);

  // Pages go back and forth by cursor; a new filter starts again on the first page.
  const [paging, setPaging] = useState({ key: filterKey, cursors: [""] });
  const cursors = paging.key === filterKey ? paging.cursors : [""];
  const cursor = cursors[cursors.length - 1]!;
  const [page, setPage] = useState<ContactListPage | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    const controller = new AbortController();
    const params = new URLSearchParams(search);
    params.set("limit", String(PAGE_SIZE));
    if (cursor) params.set("cursor", cursor);
    setLoading(true);
    api
      .get<ContactListPage>(`/api/contacts?${params}`, controller.signal)
      .then((p) => {
        setPage(p);
        setError(null);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        noticeSessionEnd(e);
        setError(messageOf(e));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [filterKey, cursor, version]);

  const [selection, setSelection] = useState<Selection>({ key: filterKey, ids: new Set(), all: false });
  const selected = selection.key === filterKey ? selection : { key: filterKey, ids: new Set<number>(), all: false };
  const pageIds = page?.data.map((c) => c.id) ?? [];
  const pageSelected = pageIds.length > 0 && pageIds.every((id) => selected.all || selected.ids.has(id));
  const someOnPage = pageIds.some((id) => selected.all || selected.ids.has(id));
  const morePages = Boolean(page?.next_cursor) || cursors.length > 1;
  const [matching, setMatching] = useState<{ key: string; count: number } | null>(null);
  const matchingCount = matching?.key === filterKey ? matching.count : null;

  // "Select all N matching" needs N: counted once the whole page is selected and more pages exist.
  useEffect(() => {
    if (!pageSelected || !morePages || matchingCount !== null) return;
    const controller = new AbortController();
    api
      .get<{ count: number }>(`/api/contacts/count?${search}`, controller.signal)
      .then((r) => setMatching({ key: filterKey, count: r.count }))
      .catch((e: unknown) => noticeSessionEnd(e));
    return () => controller.abort();
  }, [pageSelected, morePages, filterKey, matchingCount]);

  const toggle = (id: number, on: boolean) => {
    const ids = new Set(selected.all ? pageIds : selected.ids);
    if (on) ids.add(id);
    else ids.delete(id);
    setSelection({ key: filterKey, ids, all: false });
  };
  const togglePage = (on: boolean) => {
    const ids = new Set(selected.all ? [] : selected.ids);
    for (const id of pageIds)
      if (on) ids.add(id);
      else ids.delete(id);
    setSelection({ key: filterKey, ids, all: false });
  };
  const clearSelection = () => setSelection({ key: filterKey, ids: new Set(), all: false });
  const pageBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (pageBox.current) pageBox.current.indeterminate = someOnPage && !pageSelected;
  });

  const [editing, setEditingState] = useState<ContactView | "new" | null>(null);
  const [status, setStatus] = useState("");
  const setEditing = (next: ContactView | "new" | null) => {
    if (next) {
      setStatus("");
      setMessaging(null);
    }
    setEditingState(next);
  };

  // One message to one contact: the panel opens in place of the form; closing it returns to the row's button.
  const [messaging, setMessaging] = useState<ContactView | null>(null);
  const openMessaging = (c: ContactView) => {
    setEditingState(null);
    setStatus("");
    setMessaging(c);
  };
  const returnFocusTo = useRef<number | null>(null);
  const closeMessaging = () => {
    returnFocusTo.current = messaging?.id ?? null;
    setMessaging(null);
  };
  // Once the panel is gone and the row's button enabled again (a refresh of the list may still be
  // re-rendering it), the focus goes back to that button.
  useEffect(() => {
    const contactId = returnFocusTo.current;
    if (messaging || contactId === null) return;
    returnFocusTo.current = null;
    let frames = 0;
    let handle = 0;
    const give = () => {
      const button = document.querySelector<HTMLButtonElement>(`[data-contact="${contactId}"] [data-send-message]`);
      if (button && !button.disabled) button.focus();
      else if (frames++ < 30) handle = requestAnimationFrame(give);
    };
    give();
    return () => cancelAnimationFrame(handle);
  }, [messaging]);

  const onSaved = (c: ContactView, created: boolean) => {
    setEditing(null);
    setStatus(created ? t("contacts.status.added", { name: displayName(c) }) : t("contacts.status.saved", { name: displayName(c) }));
    if (created) setPaging({ key: filterKey, cursors: [""] });
    setMatching(null);
    reload();
    void loadLabels();
  };
  const onDeleted = (c: ContactView) => {
    setEditing(null);
    setStatus(t("contacts.status.deleted", { name: displayName(c) }));
    setMatching(null);
    // The last contact of a later page: go back a page rather than show an empty one.
    if (page?.data.length === 1 && cursors.length > 1) setPaging({ key: filterKey, cursors: cursors.slice(0, -1) });
    else reload();
    void loadLabels();
  };

  // Bulk labelling.
  const [bulkLabel, setBulkLabel] = useState("");
  const [bulkError, setBulkError] = useState<string | undefined>();
  const [bulkPending, setBulkPending] = useState(false);
  const selectedCount = selected.all ? (matchingCount ?? 0) : selected.ids.size;
  const runBulk = async (action: "add" | "remove") => {
    const label = allLabels.find((l) => String(l.id) === bulkLabel);
    if (!label) {
      setBulkError(t("contacts.bulk.pickLabel"));
      return;
    }
    setBulkPending(true);
    setBulkError(undefined);
    setStatus("");
    const target = selected.all
      ? {
          filter: {
            ...(filter.q ? { q: filter.q } : {}),
            ...(filter.labels.length ? { labels: filter.labels, match: filter.match } : {}),
            ...(filter.optedOut ? { opted_out: filter.optedOut === "true" } : {}),
          },
        }
      : { contact_ids: [...selected.ids] };
    try {
      const result = await api.post<BulkLabelResult>("/api/contacts/labels", { action, label_ids: [label.id], ...target });
      setStatus(
        action === "add"
          ? tn("contacts.bulk.added", result.matched, { label: label.name, changed: result.changed })
          : tn("contacts.bulk.removed", result.matched, { label: label.name, changed: result.changed }),
      );
      clearSelection();
      setMatching(null);
      reload();
      void loadLabels();
    } catch (e) {
      noticeSessionEnd(e);
      const fields = fieldErrors(e);
      setBulkError(fields.label_ids ?? fields.contact_ids ?? messageOf(e));
    } finally {
      setBulkPending(false);
    }
  };

  const filtered = filterKey !== "";
  const opt = (value: Filter["optedOut"]) => ({
    value,
    label: t(value === "" ? "contacts.filter.optedOutAll" : value === "true" ? "contacts.filter.optedOutOnly" : "contacts.filter.optedOutNot"),
  });

  return (
    <>
      <div class="page-head">
        <h1>{t("contacts.title")}</h1>
        <div class="page-actions">
          <a class="button button-secondary" href="/contacts/import">
            {t("contacts.import")}
          </a>
          <button type="button" onClick={() => setEditing("new")} disabled={editing === "new"}>
            {t("contacts.add")}
          </button>
        </div>
      </div>
      <p class="muted">{t("contacts.intro")}</p>
      <p class="status" role="status">
        {status}
      </p>

      {editing && (
        <ContactForm
          key={editing === "new" ? "new" : editing.id}
          contact={editing === "new" ? null : editing}
          allLabels={allLabels}
          onSaved={onSaved}
          onDeleted={onDeleted}
          onCancel={() => setEditing(null)}
        />
      )}
      {messaging && <ContactMessagePanel key={messaging.id} contact={messaging} onClose={closeMessaging} />}

      <form class="contact-filters" role="search" aria-label={t("contacts.filter.name")} onSubmit={(e) => e.preventDefault()}>
        <div class="filters">
          <Field
            label={t("contacts.filter.search")}
            hint={t("contacts.filter.searchHint")}
            type="search"
            value={text}
            onValue={setText}
            name="q"
            autoComplete="off"
          />
          <SelectField
            label={t("contacts.filter.optedOut")}
            value={filter.optedOut}
            onValue={(v) => navigate({ ...filter, optedOut: v as Filter["optedOut"] })}
            options={[opt(""), opt("false"), opt("true")]}
            name="opted_out"
          />
        </div>
        <details class="label-filter" open={filter.labels.length > 0}>
          <summary>{filter.labels.length ? tn("contacts.filter.labelsChosen", filter.labels.length) : t("contacts.filter.labels")}</summary>
          <div class="label-filter-body">
            <LabelChecks
              legend={t("contacts.filter.labelsLegend")}
              all={allLabels}
              chosen={filter.labels}
              onChosen={(ids) => navigate({ ...filter, labels: ids })}
              counts
            />
            {filter.labels.length > 1 && (
              <RadioGroup
                legend={t("contacts.filter.match")}
                name="match"
                value={filter.match}
                onValue={(m) => navigate({ ...filter, match: m as Filter["match"] })}
                options={[
                  { value: "any", label: t("contacts.filter.matchAny") },
                  { value: "all", label: t("contacts.filter.matchAll") },
                ]}
              />
            )}
            {filter.labels.length > 0 && (
              <p>
                <button type="button" class="button-link" onClick={() => navigate({ ...filter, labels: [], match: "any" })}>
                  {t("contacts.filter.clearLabels")}
                </button>
              </p>
            )}
          </div>
        </details>
      </form>

      <section aria-labelledby="contacts-list-heading" aria-busy={loading}>
        <h2 id="contacts-list-heading" class="visually-hidden">
          {t("contacts.list")}
        </h2>
        {error && (
          <div class="alert" role="alert">
            {t("contacts.loadFailed", { message: error })}{" "}
            <button type="button" class="button-link" onClick={reload}>
              {t("common.tryAgain")}
            </button>
          </div>
        )}
        {page === null ? (
          loading && <p class="muted">{t("contacts.loading")}</p>
        ) : page.data.length === 0 ? (
          <p class="muted" data-empty>
            {cursors.length > 1 ? t("contacts.pageEmpty") : filtered ? t("contacts.noMatch") : t("contacts.empty")}
          </p>
        ) : (
          <div class="table-scroll contacts-scroll">
            <table class="table contacts-table" data-contacts>
              <caption class="visually-hidden">{t("contacts.list")}</caption>
              <thead>
                <tr>
                  <th scope="col" class="select-cell">
                    <input
                      ref={pageBox}
                      type="checkbox"
                      checked={pageSelected}
                      onChange={(e) => togglePage(e.currentTarget.checked)}
                      aria-label={t("contacts.selectPage")}
                      data-select-page
                    />
                  </th>
                  <th scope="col">{t("contacts.col.name")}</th>
                  <th scope="col">{t("contacts.col.phone")}</th>
                  <th scope="col">{t("contacts.col.labels")}</th>
                  <th scope="col">{t("contacts.col.optOut")}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t("contacts.col.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((c) => (
                  <tr key={c.id} data-contact={c.id}>
                    <td class="select-cell">
                      <input
                        type="checkbox"
                        checked={selected.all || selected.ids.has(c.id)}
                        onChange={(e) => toggle(c.id, e.currentTarget.checked)}
                        aria-label={t("contacts.select", { name: displayName(c) })}
                      />
                    </td>
                    <td class="contact-name">{c.name || <span class="muted">{t("contacts.noName")}</span>}</td>
                    <td class="contact-phone">{c.phone}</td>
                    <td class="contact-labels">
                      {c.labels.length > 0 && (
                        <ul class="chips">
                          {c.labels.map((l) => (
                            <li key={l.id}>
                              <Chip label={l} />
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td class="contact-optout" data-opt-out>
                      {c.opted_out && c.opted_out_at ? (
                        <span class="opted-out">{t("contacts.optedOutOn", { date: formatDate(c.opted_out_at) })}</span>
                      ) : c.opted_out ? (
                        <span class="opted-out">{t("contacts.optedOut")}</span>
                      ) : (
                        ""
                      )}
                      {c.marketing_stopped_at && (
                        <span class="chip marketing-stopped" data-marketing-stopped>
                          {t("capPrefs.contact.stoppedOn", { date: formatDate(c.marketing_stopped_at) })}
                        </span>
                      )}
                    </td>
                    <td class="contact-actions">
                      <button type="button" class="button-link" onClick={() => setEditing(c)}>
                        {t("common.edit")}
                        <span class="visually-hidden"> {displayName(c)}</span>
                      </button>
                      {c.opted_out ? (
                        <span class="send-message">
                          <button type="button" class="button-link" disabled aria-describedby={`send-reason-${c.id}`} data-send-message>
                            {t("messages.action")}
                            <span class="visually-hidden"> {displayName(c)}</span>
                          </button>
                          <span id={`send-reason-${c.id}`} class="hint send-message-reason">
                            {t("messages.optedOutReason")}
                          </span>
                        </span>
                      ) : (
                        <button
                          type="button"
                          class="button-link send-message"
                          onClick={() => openMessaging(c)}
                          disabled={messaging?.id === c.id}
                          data-send-message
                        >
                          {t("messages.action")}
                          <span class="visually-hidden"> {displayName(c)}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {(cursors.length > 1 || page?.next_cursor) && (
          <nav class="pager" aria-label={t("contacts.pages")}>
            {cursors.length > 1 && (
              <button type="button" class="button-secondary" disabled={loading} onClick={() => setPaging({ key: filterKey, cursors: cursors.slice(0, -1) })}>
                {t("common.previousPage")}
              </button>
            )}
            <span class="muted pager-where">{t("contacts.pageNumber", { n: cursors.length })}</span>
            {page?.next_cursor && (
              <button
                type="button"
                class="button-secondary"
                disabled={loading}
                onClick={() => setPaging({ key: filterKey, cursors: [...cursors, page.next_cursor!] })}
              >
                {t("common.nextPage")}
              </button>
            )}
          </nav>
        )}

        {(selected.all || selected.ids.size > 0) && (
          <section class="bulk-bar" aria-labelledby="bulk-heading" data-bulk>
            <h2 id="bulk-heading" class="bulk-title">
              {selected.all ? tn("contacts.bulk.allSelected", selectedCount) : tn("contacts.bulk.selected", selectedCount)}
            </h2>
            <div class="bulk-links">
              {!selected.all && pageSelected && morePages && matchingCount !== null && matchingCount > selected.ids.size && (
                <button type="button" class="button-link" onClick={() => setSelection({ key: filterKey, ids: new Set(), all: true })} data-select-all>
                  {tn("contacts.bulk.selectAll", matchingCount)}
                </button>
              )}
              <button type="button" class="button-link" onClick={clearSelection}>
                {t("contacts.bulk.clear")}
              </button>
            </div>
            <div class="bulk-actions">
              <SelectField
                label={t("contacts.bulk.label")}
                value={bulkLabel}
                onValue={(v) => {
                  setBulkLabel(v);
                  setBulkError(undefined);
                }}
                options={[{ value: "", label: t("contacts.bulk.chooseLabel") }, ...allLabels.map((l) => ({ value: String(l.id), label: l.name }))]}
                error={bulkError}
                name="bulk_label"
              />
              <button type="button" disabled={bulkPending} onClick={() => void runBulk("add")}>
                {t("contacts.bulk.add")}
              </button>
              <button type="button" class="button-secondary" disabled={bulkPending} onClick={() => void runBulk("remove")}>
                {t("contacts.bulk.remove")}
              </button>
            </div>
          </section>
        )}
      </section>
    </>
  );
}
