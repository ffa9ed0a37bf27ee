import type { TargetedEvent } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { attributeKey, mapImportHeader } from "../../../worker/domain/contact-import";
import { openCsv } from "../../../worker/domain/csv";
import { csvLine } from "../../../worker/domain/csv-export";
import { ApiError, messageOf } from "../api";
import { ErrorText, Notice } from "../components/controls";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { type MessageKey, t, tn } from "../i18n";
import { formatNumber } from "../lib/format";
import { labels as labelsState, loadLabels } from "../state/labels";
import { noticeSessionEnd } from "../state/session";
import type { ContactImportResult } from "../types";
import { LabelChecks } from "./contacts-shared";

/** The server's limits (POST /api/contacts/import). */
const MAX_BYTES = 50 * 1024 * 1024;
/** How much of the file the browser reads to show its columns. */
const PREVIEW_BYTES = 256 * 1024;
const PREVIEW_ROWS = 3;
/** Error rows shown on the page; the downloadable report has them all. */
const SHOWN_ERRORS = 500;

type Role = "name" | "phone" | "labels" | "attribute" | "ignore";
const ROLES: Role[] = ["name", "phone", "labels", "attribute", "ignore"];
const ROLE_LABEL: Record<Role, MessageKey> = {
  name: "imports.role.name",
  phone: "imports.role.phone",
  labels: "imports.role.labels",
  attribute: "imports.role.attribute",
  ignore: "imports.role.ignore",
};

type Column = { title: string; role: Role; key: string; samples: string[] };

type Preview = { file: File; columns: Column[] };

/** The end of the last complete line of `text` (outside quotes), so a cut never splits a record. */
function lastLineEnd(text: string): number {
  let quoted = false;
  let end = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x0a && !quoted) end = i + 1;
  }
  return end || text.length;
}

/** What the server would make of one column on its own (see `mapImportHeader`). */
function roleOf(title: string): { role: Role; key: string } {
  if (title.trim() === "") return { role: "ignore", key: "" };
  const alone = mapImportHeader([title]);
  if (alone.ok) return { role: "phone", key: "" };
  const withPhone = mapImportHeader([title, "phone"]);
  if (!withPhone.ok) return { role: "ignore", key: attributeKey(title) };
  const map = withPhone.map;
  if (map.name === 0) return { role: "name", key: "" };
  if (map.labels === 0) return { role: "labels", key: "" };
  return { role: "attribute", key: map.attributes[0]?.key ?? attributeKey(title) };
}

/** Each column's role as the server reads the header by itself, column by column when the whole header does not map. */
function detectColumns(header: string[], rows: string[][]): Column[] {
  const whole = mapImportHeader(header);
  return header.map((title, index) => {
    const samples = rows.map((r) => (r[index] ?? "").trim()).filter(Boolean);
    if (!whole.ok) return { title, samples, ...roleOf(title) };
    const m = whole.map;
    const attribute = m.attributes.find((a) => a.index === index);
    const role: Role = m.phone === index ? "phone" : m.name === index ? "name" : m.labels === index ? "labels" : attribute ? "attribute" : "ignore";
    return { title, samples, role, key: attribute?.key ?? (role === "ignore" ? attributeKey(title) : "") };
  });
}

type PreviewResult = { ok: true; columns: Column[] } | { ok: false; reason: string };

/** Reads the header and the first rows of `file` in the browser. */
async function readPreview(file: File): Promise<PreviewResult> {
  if (file.size > MAX_BYTES) return { ok: false, reason: t("imports.choose.tooLarge") };
  let text = await file.slice(0, PREVIEW_BYTES).text();
  if (file.size > PREVIEW_BYTES) text = text.slice(0, lastLineEnd(text));
  const csv = openCsv(text, { maxRecords: Number.MAX_SAFE_INTEGER });
  if (!csv.ok)
    return {
      ok: false,
      reason: csv.line ? t("imports.choose.unreadableLine", { reason: csv.reason, line: csv.line }) : t("imports.choose.unreadable", { reason: csv.reason }),
    };
  const rows: string[][] = [];
  for (const record of csv.records()) {
    rows.push(record.fields);
    if (rows.length >= PREVIEW_ROWS) break;
  }
  return { ok: true, columns: detectColumns(csv.header, rows) };
}

/** Problems with the chosen roles, keyed `role.<index>` / `key.<index>` / `columns`. */
function mappingErrors(columns: Column[]): Record<string, string> {
  const out: Record<string, string> = {};
  const phones = columns.flatMap((c, i) => (c.role === "phone" ? [i] : []));
  if (phones.length === 0) out.columns = t("imports.map.needPhone");
  for (const role of ["phone", "name", "labels"] as const) {
    const at = columns.flatMap((c, i) => (c.role === role ? [i] : []));
    for (const i of at.slice(1)) out[`role.${i}`] = t("imports.map.roleTwice", { role: t(ROLE_LABEL[role]) });
  }
  const keys = new Map<string, number>();
  columns.forEach((c, i) => {
    if (c.role !== "attribute") return;
    if (!/^[a-z0-9_]{1,64}$/.test(c.key)) out[`key.${i}`] = t("imports.map.keyInvalid");
    else if (keys.has(c.key)) out[`key.${i}`] = t("imports.map.keyTwice");
    else keys.set(c.key, i);
  });
  return out;
}

/** The `columns` parameter: each column's role in order. */
const columnsParam = (columns: Column[]) => columns.map((c) => (c.role === "attribute" ? `attribute:${c.key}` : c.role)).join(",");

/**
 * Sends the file with XMLHttpRequest, whose upload reports progress (fetch's does not), and
 * answers like `api` does: the parsed JSON, or a thrown ApiError.
 */
function uploadCsv(file: Blob, query: string, onProgress: (fraction: number) => void, onSent: () => void): Promise<ContactImportResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/contacts/import?${query}`);
    xhr.setRequestHeader("Content-Type", "text/csv");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.upload.onload = () => onSent();
    xhr.onerror = () => reject(new ApiError(0, "network_error", t("common.networkError")));
    xhr.onload = () => {
      let data: unknown;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data) return resolve(data as ContactImportResult);
      const error = (data as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
      if (error && typeof error.code === "string" && typeof error.message === "string")
        reject(new ApiError(xhr.status, error.code, error.message, error.details));
      else reject(new ApiError(xhr.status, "bad_response", t("imports.upload.badResponse", { status: xhr.status })));
    };
    xhr.send(file);
  });
}

/** Downloads the error report as CSV, made in the browser; cells are guarded against spreadsheet formulas. */
function downloadReport(result: ContactImportResult, fileName: string) {
  const lines = [csvLine([t("imports.report.line"), t("imports.report.problem")]), ...result.errors.map((e) => csvLine([e.line, e.reason]))];
  // The byte-order mark makes spreadsheets read the file as UTF-8.
  const url = URL.createObjectURL(new Blob(["\uFEFF", ...lines], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = t("imports.report.fileName", { name: fileName.replace(/\.[^.]*$/, "") || "contacts" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

function ChooseFile({ onChosen, busy, error }: { onChosen: (file: File) => void; busy: boolean; error: string | null }) {
  const id = useId();
  const [dragging, setDragging] = useState(false);
  const onChange = (e: TargetedEvent<HTMLInputElement>) => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = "";
    if (file) onChosen(file);
  };
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("imports.choose.title")}</h2>
      <p class="muted">{t("imports.choose.intro")}</p>
      <div
        class={`drop-zone${dragging ? " dragging" : ""}`}
        data-drop-zone
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const file = e.dataTransfer?.files[0];
          if (file) onChosen(file);
        }}
      >
        <label for={`${id}-file`}>
          <span class="drop-zone-title">{t("imports.choose.drop")}</span>
          <span class="drop-zone-or">{t("imports.choose.or")}</span>
          <span class="drop-zone-button">{t("imports.choose.button")}</span>
        </label>
        <p id={`${id}-hint`} class="hint">
          {t("imports.choose.hint")}
        </p>
        <input
          id={`${id}-file`}
          class="file-input"
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={onChange}
          disabled={busy}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}
          aria-invalid={error ? "true" : undefined}
        />
        <ErrorText id={`${id}-error`} error={error ?? undefined} />
      </div>
      <details class="help">
        <summary>{t("imports.choose.formatTitle")}</summary>
        <p>{t("imports.choose.format1")}</p>
        <p>{t("imports.choose.format2")}</p>
        <pre class="csv-example">{"nome;telefone;etiquetas;cidade\nAna Souza;(11) 98765-4321;VIP|Clientes;São Paulo"}</pre>
      </details>
    </section>
  );
}

function MapColumns({
  preview,
  onChange,
  labelIds,
  onLabelIds,
  onBack,
  onImport,
  serverError,
}: {
  preview: Preview;
  onChange: (columns: Column[]) => void;
  labelIds: number[];
  onLabelIds: (ids: number[]) => void;
  onBack: () => void;
  onImport: () => void;
  serverError: string | null;
}) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  useEffect(() => headingRef.current?.focus(), []);
  const { file, columns } = preview;
  const set = (index: number, change: Partial<Column>) => {
    onChange(columns.map((c, i) => (i === index ? { ...c, ...change } : c)));
    setErrors({});
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const found = mappingErrors(columns);
    setErrors(found);
    if (Object.keys(found).length === 0) onImport();
  };
  const allLabels = labelsState.value.items ?? [];
  const hasErrors = Object.keys(errors).length > 0;
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} class="focus-target" tabIndex={-1} ref={headingRef}>
        {t("imports.map.title")}
      </h2>
      <p>
        <span class="file-name">{file.name}</span> <span class="muted">({formatSize(file.size)})</span>{" "}
        <button type="button" class="button-link" onClick={onBack}>
          {t("imports.map.otherFile")}
        </button>
      </p>
      <p class="muted">{t("imports.map.intro")}</p>
      <form class="stack" onSubmit={submit} noValidate>
        <FormError message={serverError ?? (hasErrors ? t("imports.map.fix") : null)} />
        <ErrorText id={`${id}-columns-error`} error={errors.columns} />
        <div class="table-scroll contacts-scroll">
          <table class="table mapping-table" data-mapping aria-describedby={errors.columns ? `${id}-columns-error` : undefined}>
            <caption class="visually-hidden">{t("imports.map.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("imports.map.column")}</th>
                <th scope="col">{t("imports.map.examples")}</th>
                <th scope="col">{t("imports.map.useAs")}</th>
              </tr>
            </thead>
            <tbody>
              {columns.map((c, i) => {
                const title = c.title.trim() || t("imports.map.untitled", { n: i + 1 });
                const roleError = errors[`role.${i}`];
                const keyError = errors[`key.${i}`];
                return (
                  <tr key={i} data-column={i}>
                    <th scope="row">{title}</th>
                    <td class="samples">
                      {c.samples.length ? (
                        <ul class="plain-samples">
                          {c.samples.map((s, k) => (
                            <li key={k}>{s}</li>
                          ))}
                        </ul>
                      ) : (
                        <span class="muted">{t("imports.map.noExamples")}</span>
                      )}
                    </td>
                    <td class="role-cell">
                      <div class="field">
                        <label class="visually-hidden" for={`${id}-role-${i}`}>
                          {t("imports.map.roleFor", { column: title })}
                        </label>
                        <select
                          id={`${id}-role-${i}`}
                          value={c.role}
                          onChange={(e) => {
                            const role = e.currentTarget.value as Role;
                            set(i, { role, key: role === "attribute" && !c.key ? attributeKey(c.title) : c.key });
                          }}
                          aria-invalid={roleError ? "true" : undefined}
                          aria-describedby={roleError ? `${id}-role-${i}-error` : undefined}
                          data-role
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {t(ROLE_LABEL[r])}
                            </option>
                          ))}
                        </select>
                        <ErrorText id={`${id}-role-${i}-error`} error={roleError} />
                      </div>
                      {c.role === "attribute" && (
                        <div class="field attribute-key">
                          <label for={`${id}-key-${i}`}>{t("imports.map.key")}</label>
                          <input
                            id={`${id}-key-${i}`}
                            value={c.key}
                            onInput={(e) => set(i, { key: e.currentTarget.value })}
                            maxLength={64}
                            autoComplete="off"
                            spellcheck={false}
                            aria-invalid={keyError ? "true" : undefined}
                            aria-describedby={`${id}-key-${i}-hint${keyError ? ` ${id}-key-${i}-error` : ""}`}
                            data-key
                          />
                          <p id={`${id}-key-${i}-hint`} class="hint">
                            {t("imports.map.keyHint", { key: c.key || "city" })}
                          </p>
                          <ErrorText id={`${id}-key-${i}-error`} error={keyError} />
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <LabelChecks legend={t("imports.map.labels")} hint={t("imports.map.labelsHint")} all={allLabels} chosen={labelIds} onChosen={onLabelIds} />
        <div class="form-actions">
          <button type="submit">{t("imports.map.import")}</button>
        </div>
      </form>
    </section>
  );
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return t("imports.size.bytes", { n: bytes });
  if (bytes < 1024 * 1024) return t("imports.size.kb", { n: Math.round(bytes / 102.4) / 10 });
  return t("imports.size.mb", { n: Math.round(bytes / (1024 * 102.4)) / 10 });
}

function Uploading({ fraction, sent }: { fraction: number; sent: boolean }) {
  const id = useId();
  const percent = Math.round(fraction * 100);
  return (
    <section aria-labelledby={`${id}-heading`} data-uploading>
      <h2 id={`${id}-heading`}>{t("imports.upload.title")}</h2>
      <label for={`${id}-progress`} class="progress-label">
        {sent ? t("imports.upload.processing") : t("imports.upload.sending", { percent })}
      </label>
      {sent ? <progress id={`${id}-progress`} class="upload-progress" /> : <progress id={`${id}-progress`} class="upload-progress" max={100} value={percent} />}
      <p class="muted" role="status">
        {sent ? t("imports.upload.processingHint") : ""}
      </p>
    </section>
  );
}

function Result({ result, fileName, onAgain }: { result: ContactImportResult; fileName: string; onAgain: () => void }) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const shown = result.errors.slice(0, SHOWN_ERRORS);
  return (
    <section aria-labelledby={`${id}-heading`} data-import-result>
      <h2 id={`${id}-heading`} class="focus-target" tabIndex={-1} ref={headingRef}>
        {t("imports.result.title")}
      </h2>
      <dl class="counters import-counts">
        {(["created", "updated", "skipped"] as const).map((k) => (
          <div key={k} data-count={k}>
            <dt>{t(`imports.result.${k}`)}</dt>
            <dd>{formatNumber(result[k])}</dd>
          </div>
        ))}
      </dl>
      {result.errors.length === 0 ? (
        <p class="ok">{t("imports.result.noErrors")}</p>
      ) : (
        <section aria-labelledby={`${id}-errors-heading`} data-error-report>
          <div class="page-head">
            <h3 id={`${id}-errors-heading`}>{tn("imports.result.errorsTitle", result.skipped)}</h3>
            <button type="button" class="button-secondary" onClick={() => downloadReport(result, fileName)}>
              {t("imports.result.download")}
            </button>
          </div>
          <p class="muted">{t("imports.result.errorsIntro")}</p>
          {result.errors_truncated && <Notice tone="warning">{t("imports.result.truncated", { shown: result.errors.length, total: result.skipped })}</Notice>}
          {shown.length < result.errors.length && <p class="muted">{t("imports.result.shownFirst", { shown: shown.length, total: result.errors.length })}</p>}
          <div class="table-scroll contacts-scroll">
            <table class="table error-table">
              <caption class="visually-hidden">{t("imports.result.errorsCaption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("imports.report.line")}</th>
                  <th scope="col">{t("imports.report.problem")}</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr key={e.line} data-line={e.line}>
                    <td class="numeric">{formatNumber(e.line)}</td>
                    <td>{e.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <div class="form-actions">
        <a class="button" href="/contacts">
          {t("imports.result.viewContacts")}
        </a>
        <button type="button" class="button-secondary" onClick={onAgain}>
          {t("imports.result.again")}
        </button>
      </div>
    </section>
  );
}

type Stage =
  | { step: "choose" }
  | { step: "map"; preview: Preview }
  | { step: "upload"; preview: Preview; fraction: number; sent: boolean }
  | { step: "done"; preview: Preview; result: ContactImportResult };

export function ContactsImportPage() {
  useTitle(t("imports.title"));
  useEffect(() => {
    void loadLabels();
  }, []);
  const [stage, setStage] = useState<Stage>({ step: "choose" });
  const [reading, setReading] = useState(false);
  const [chooseError, setChooseError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [labelIds, setLabelIds] = useState<number[]>([]);

  const onChosen = async (file: File) => {
    setReading(true);
    setChooseError(null);
    setServerError(null);
    try {
      const read = await readPreview(file);
      if (!read.ok) setChooseError(read.reason);
      else setStage({ step: "map", preview: { file, columns: read.columns } });
    } catch {
      setChooseError(t("imports.choose.readFailed"));
    } finally {
      setReading(false);
    }
  };

  const onImport = async (preview: Preview) => {
    setServerError(null);
    setStage({ step: "upload", preview, fraction: 0, sent: false });
    const params = new URLSearchParams({ columns: columnsParam(preview.columns) });
    if (labelIds.length) params.set("label_ids", labelIds.join(","));
    try {
      const result = await uploadCsv(
        preview.file,
        params.toString(),
        (fraction) => setStage((s) => (s.step === "upload" ? { ...s, fraction } : s)),
        () => setStage((s) => (s.step === "upload" ? { ...s, fraction: 1, sent: true } : s)),
      );
      setStage({ step: "done", preview, result });
      void loadLabels();
    } catch (e) {
      noticeSessionEnd(e);
      const line =
        e instanceof ApiError && typeof (e.details as { line?: unknown } | undefined)?.line === "number" ? (e.details as { line: number }).line : null;
      setServerError(line === null ? t("imports.upload.failed", { message: messageOf(e) }) : t("imports.upload.failedLine", { message: messageOf(e), line }));
      setStage({ step: "map", preview });
    }
  };

  return (
    <>
      <p class="breadcrumb">
        <a href="/contacts">{t("imports.back")}</a>
      </p>
      <h1>{t("imports.title")}</h1>
      <ol class="import-steps" aria-label={t("imports.steps")}>
        {(["choose", "map", "done"] as const).map((s, i) => {
          const current = stage.step === s || (s === "done" && stage.step === "upload");
          return (
            <li key={s} aria-current={current ? "step" : undefined} class={current ? "current" : undefined}>
              {t(`imports.step.${s}`, { n: i + 1 })}
            </li>
          );
        })}
      </ol>
      {stage.step === "choose" && <ChooseFile onChosen={(f) => void onChosen(f)} busy={reading} error={chooseError} />}
      {stage.step === "map" && (
        <MapColumns
          preview={stage.preview}
          onChange={(columns) => setStage({ step: "map", preview: { ...stage.preview, columns } })}
          labelIds={labelIds}
          onLabelIds={setLabelIds}
          onBack={() => {
            setServerError(null);
            setStage({ step: "choose" });
          }}
          onImport={() => void onImport(stage.preview)}
          serverError={serverError}
        />
      )}
      {stage.step === "upload" && <Uploading fraction={stage.fraction} sent={stage.sent} />}
      {stage.step === "done" && (
        <Result
          result={stage.result}
          fileName={stage.preview.file.name}
          onAgain={() => {
            setLabelIds([]);
            setStage({ step: "choose" });
          }}
        />
      )}
    </>
  );
}
