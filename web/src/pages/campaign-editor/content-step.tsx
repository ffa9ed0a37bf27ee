import { useEffect, useId, useRef, useState } from "preact/hooks";
import { partialTemplateValues, type RenderContact, renderText, variablePicker } from "../../../../worker/domain/campaign-render";
import { type TemplateComponent, templatePreview } from "../../../../worker/domain/templates";
import { api, messageOf } from "../../api";
import { ErrorText, Notice, RadioGroup, SelectField } from "../../components/controls";
import { Field } from "../../components/field";
import { type BubbleContent, WhatsAppBubble } from "../../components/whatsapp-bubble";
import { type MessageKey, t, tn } from "../../i18n";
import { formatDateTime } from "../../lib/format";
import { noticeSessionEnd } from "../../state/session";
import type { Contact, ContactField, Template, TemplateVariable, ValueSource } from "../../types";
import { type Draft, sectionOf, variablePath, withSource } from "./model";
import type { StepProps } from "./steps";

const MAX_VARIANTS = 10;

/** The picker's built-in variables in the UI's language; attribute keys as they are. */
const BUILT_IN_LABEL: Record<string, MessageKey> = {
  "contact.name": "campaigns.field.name",
  "contact.first_name": "campaigns.field.firstName",
  "contact.phone": "campaigns.field.phone",
};
const pickerLabel = (p: { path: string; label: string }) => (BUILT_IN_LABEL[p.path] ? t(BUILT_IN_LABEL[p.path]!) : p.label);

/** Someone to preview with when the audience has no sample yet. */
const EXAMPLE_CONTACT: RenderContact = { name: "Ana Souza", phone: "+5511987654321", attributes: {} };

const asRenderContact = (c: Contact): RenderContact => ({ name: c.name, phone: c.phone, attributes: c.attributes });

/** Chooses which sample contact of the audience the previews are rendered for. */
function useSampleContact(sample: Contact[]) {
  const [index, setIndex] = useState(0);
  const contact = sample[index] ?? sample[0];
  const picker =
    sample.length > 1 ? (
      <SelectField
        label={t("campaigns.preview.for")}
        value={String(Math.min(index, sample.length - 1))}
        onValue={(v) => setIndex(Number(v))}
        options={sample.map((c, i) => ({ value: String(i), label: `${c.name || "(no name)"} · ${c.phone}` }))}
      />
    ) : null;
  return {
    contact: contact ? asRenderContact(contact) : EXAMPLE_CONTACT,
    caption: contact ? t("campaigns.preview.forContact", { name: contact.name || contact.phone }) : t("campaigns.preview.forExample"),
    picker,
  };
}

export function ContentStep(props: StepProps) {
  const { draft, update, preview } = props;
  const outside = preview.preview?.outside_window ?? 0;
  const total = preview.preview?.total ?? 0;
  return (
    <div class="stack">
      <RadioGroup
        legend={t("campaigns.content.legend")}
        name="content-type"
        value={draft.contentType}
        onValue={(v) => update({ contentType: v as Draft["contentType"] })}
        options={[
          { value: "template", label: t("campaigns.content.template"), hint: t("campaigns.content.templateHint") },
          { value: "text", label: t("campaigns.content.text"), hint: t("campaigns.content.textHint") },
        ]}
      />
      {draft.contentType === "template" ? (
        <TemplateContent {...props} />
      ) : (
        <>
          <Notice tone={outside > 0 ? "warning" : "info"} data-notice="service-window">
            <p>
              {t("campaigns.content.window")}
              {preview.preview && ` ${outside > 0 ? t("campaigns.content.windowSkipped", { skipped: outside, total }) : t("campaigns.content.windowAll")}`}
            </p>
          </Notice>
          <TextVariants {...props} />
        </>
      )}
    </div>
  );
}

// ---- templates ---------------------------------------------------------------------------------

function TemplateContent({ draft, update, errors, data, preview }: StepProps) {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [language, setLanguage] = useState("");
  const [syncing, setSyncing] = useState(false);
  const [syncStatus, setSyncStatus] = useState<string | null>(null);
  const inboxId = draft.inbox_id;

  const load = async () => {
    try {
      const { data: list } = await api.get<{ data: Template[] }>(`/api/inboxes/${inboxId}/templates?status=APPROVED`);
      setTemplates(list);
      setLoadError(null);
    } catch (e) {
      noticeSessionEnd(e);
      setLoadError(messageOf(e));
    }
  };
  useEffect(() => {
    if (inboxId !== null) void load();
  }, [inboxId]);

  const sync = async () => {
    setSyncing(true);
    setSyncStatus(null);
    try {
      const result = await api.post<{ synced: number; removed: number }>(`/api/inboxes/${inboxId}/templates/sync`);
      await load();
      setSyncStatus(tn("campaigns.templates.synced", result.synced));
    } catch (e) {
      setSyncStatus(t("campaigns.templates.syncFailed", { message: messageOf(e) }));
    } finally {
      setSyncing(false);
    }
  };

  if (loadError) return <ErrorText id="templates-error" error={t("campaigns.templates.loadFailed", { message: loadError })} />;
  if (templates === null) return <p class="muted">{t("campaigns.templates.loading")}</p>;

  const languages = [...new Set(templates.map((t) => t.language))].sort();
  const q = query.trim().toLowerCase();
  const shown = templates.filter((t) => (!q || t.name.includes(q.replace(/\s+/g, "_")) || t.name.includes(q)) && (!language || t.language === language));
  const chosen = draft.template ? templates.find((t) => t.name === draft.template!.name && t.language === draft.template!.language) : undefined;
  const key = (t: { name: string; language: string }) => `${t.name}|${t.language}`;

  return (
    <div class="stack">
      <div class="field-row">
        <Field label={t("campaigns.templates.search")} type="search" value={query} onValue={setQuery} />
        <SelectField
          label={t("campaigns.templates.language")}
          value={language}
          onValue={setLanguage}
          options={[{ value: "", label: t("campaigns.templates.allLanguages") }, ...languages.map((l) => ({ value: l, label: l }))]}
        />
      </div>
      {shown.length === 0 ? (
        <p class="muted">{templates.length === 0 ? t("campaigns.templates.none") : t("campaigns.templates.noMatch")}</p>
      ) : (
        <RadioGroup
          legend={t("campaigns.templates.legend")}
          name="template"
          value={draft.template ? key(draft.template) : ""}
          onValue={(v) => {
            const [name, lang] = v.split("|") as [string, string];
            update({ template: { name, language: lang }, values: {} });
          }}
          error={errors["content.template_name"] ?? errors["content.language"]}
          options={shown.map((t) => ({
            value: key(t),
            label: `${t.name} · ${t.language}`,
            hint: `${t.category.toLowerCase()} · ${bodyOf(t).slice(0, 90)}${bodyOf(t).length > 90 ? "…" : ""}`,
          }))}
        />
      )}
      <details class="help">
        <summary>{t("campaigns.templates.missingTitle")}</summary>
        <p>{t("campaigns.templates.missingText")}</p>
        <p>
          <button type="button" class="button-secondary" onClick={() => void sync()} disabled={syncing}>
            {syncing ? t("campaigns.templates.syncing") : t("campaigns.templates.sync")}
          </button>{" "}
          {templates[0]?.synced_at && <span class="muted">{t("campaigns.templates.lastSynced", { at: formatDateTime(templates[0].synced_at) })}</span>}
        </p>
        <p role="status" class="status">
          {syncStatus ?? ""}
        </p>
      </details>
      {chosen && (
        <TemplateValuesForm
          template={chosen}
          draft={draft}
          update={update}
          errors={errors}
          attributeKeys={data.attributeKeys}
          sample={preview.preview?.sample ?? []}
        />
      )}
    </div>
  );
}

const bodyOf = (t: Template) => ((t.components as TemplateComponent[]).find((c) => c.type === "BODY") as { text?: string } | undefined)?.text ?? "";

const BUILT_IN_FIELDS: { value: ContactField; label: MessageKey }[] = [
  { value: "name", label: "campaigns.field.name" },
  { value: "first_name", label: "campaigns.field.firstName" },
  { value: "phone", label: "campaigns.field.phone" },
];

function variableLabel(v: TemplateVariable): string {
  if (v.kind !== "text") return t("campaigns.variable.media", { kind: v.kind });
  const where =
    v.component === "header"
      ? t("campaigns.variable.header")
      : v.component === "body"
        ? t("campaigns.variable.body")
        : t("campaigns.variable.button", { n: (v.button_index ?? 0) + 1 });
  return `${where} {{${v.name}}}`;
}

function VariableField({
  variable,
  source,
  onSource,
  error,
  fields,
}: {
  variable: TemplateVariable;
  source: ValueSource | undefined;
  onSource: (s: ValueSource | undefined) => void;
  error?: string | undefined;
  fields: { value: string; label: string }[];
}) {
  const id = useId();
  const choice = !source ? "" : source.source === "fixed" ? "fixed" : source.field;
  return (
    <fieldset class="variable" data-variable={`${variable.component}.${variable.component === "button" ? variable.button_index : variable.name}`}>
      <legend>{variableLabel(variable)}</legend>
      {variable.example && <p class="hint">{t("campaigns.variable.example", { example: variable.example })}</p>}
      <ErrorText id={`${id}-error`} error={error} />
      <div class="field-row">
        <SelectField
          label={t("campaigns.variable.value")}
          value={choice}
          onValue={(v) => {
            if (v === "") onSource(undefined);
            else if (v === "fixed") onSource({ source: "fixed", value: source?.source === "fixed" ? source.value : "" });
            else
              onSource({
                source: "contact",
                field: v as ContactField,
                ...(source?.source === "contact" && source.fallback ? { fallback: source.fallback } : {}),
              });
          }}
          options={[{ value: "", label: t("campaigns.variable.choose") }, { value: "fixed", label: t("campaigns.variable.fixed") }, ...fields]}
        />
        {source?.source === "fixed" && (
          <Field label={t("campaigns.variable.text")} value={source.value} onValue={(value) => onSource({ source: "fixed", value })} maxLength={1024} />
        )}
        {source?.source === "contact" && (
          <Field
            label={t("campaigns.variable.fallback")}
            hint={t("campaigns.variable.fallbackHint")}
            value={source.fallback ?? ""}
            onValue={(fallback) => onSource({ source: "contact", field: source.field, ...(fallback ? { fallback } : {}) })}
            maxLength={1024}
          />
        )}
      </div>
    </fieldset>
  );
}

function TemplateValuesForm({
  template,
  draft,
  update,
  errors,
  attributeKeys,
  sample,
}: {
  template: Template;
  draft: Draft;
  update: StepProps["update"];
  errors: StepProps["errors"];
  attributeKeys: string[];
  sample: Contact[];
}) {
  const fields = [
    ...BUILT_IN_FIELDS.map((f) => ({ value: f.value, label: t(f.label) })),
    ...attributeKeys.map((k) => ({ value: `attributes.${k}`, label: t("campaigns.field.attribute", { key: k }) })),
  ];
  const values = draft.values;
  const { contact, caption, picker } = useSampleContact(sample);
  const media = template.variables.find((v) => v.component === "header" && v.kind !== "text");
  const textVars = template.variables.filter((v) => v.kind === "text");
  const partial = partialTemplateValues(values, contact);
  const bubble: BubbleContent = templatePreview(template.components as TemplateComponent[], partial.values);
  return (
    <div class="compose">
      <div class="stack">
        <h3>{t("campaigns.variable.valuesFor", { name: template.name })}</h3>
        {template.variables.length === 0 && <p class="muted">{t("campaigns.variable.none")}</p>}
        {media && (
          <Field
            label={t("campaigns.variable.mediaLink", { kind: media.kind })}
            hint={t("campaigns.variable.mediaLinkHint", { kind: media.kind })}
            type="url"
            value={values.media?.link ?? ""}
            onValue={(link) => update({ values: { ...values, ...(link ? { media: { link } } : { media: undefined }) } })}
            error={errors["content.values.media"] ?? errors["content.values.media.link"]}
          />
        )}
        {textVars.map((v) => {
          const section = sectionOf(v.component);
          const key = v.component === "button" ? String(v.button_index ?? 0) : v.name;
          return (
            <VariableField
              key={`${section}.${key}`}
              variable={v}
              source={values[section]?.[key]}
              onSource={(s) => update({ values: withSource(values, section, key, s) })}
              error={errors[variablePath(v.component, key)]}
              fields={fields}
            />
          );
        })}
      </div>
      <div class="preview-pane">
        {picker}
        <WhatsAppBubble content={bubble} caption={caption} />
        {partial.missing.length > 0 && <p class="hint">{t("campaigns.preview.missing", { fields: partial.missing.join(", ") })}</p>}
      </div>
    </div>
  );
}

// ---- free text -----------------------------------------------------------------------------------

function VariantEditor({
  index,
  text,
  onText,
  onRemove,
  error,
  picker,
}: {
  index: number;
  text: string;
  onText: (t: string) => void;
  onRemove?: (() => void) | undefined;
  error?: string | undefined;
  picker: { insert: string; label: string; path: string }[];
}) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const selection = useRef<[number, number]>([text.length, text.length]);
  const [variable, setVariable] = useState(picker[0]?.path ?? "");
  const [fallback, setFallback] = useState("");
  const remember = () => {
    const el = area.current;
    if (el) selection.current = [el.selectionStart, el.selectionEnd];
  };
  const insert = () => {
    const chosen = picker.find((p) => p.path === variable);
    if (!chosen) return;
    const snippet = fallback.trim() ? `{{${chosen.path} | "${fallback.replace(/"/g, "'")}"}}` : chosen.insert;
    const [start, end] = selection.current;
    const at = Math.min(start, text.length);
    const next = text.slice(0, at) + snippet + text.slice(Math.min(end, text.length));
    onText(next);
    const caret = at + snippet.length;
    selection.current = [caret, caret];
    requestAnimationFrame(() => {
      const el = area.current;
      if (!el) return;
      el.focus();
      el.setSelectionRange(caret, caret);
    });
  };
  return (
    <div class="variant" data-variant={index}>
      <div class="field">
        <label for={id}>{t("campaigns.variant.label", { n: index + 1 })}</label>
        <textarea
          id={id}
          ref={area}
          rows={5}
          value={text}
          maxLength={4096}
          onInput={(e) => {
            onText(e.currentTarget.value);
            remember();
          }}
          onKeyUp={remember}
          onClick={remember}
          onSelect={remember}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
        <ErrorText id={`${id}-error`} error={error} />
      </div>
      <div class="variable-picker" role="group" aria-label={t("campaigns.variant.picker", { n: index + 1 })}>
        <SelectField
          label={t("campaigns.variant.variable")}
          value={variable}
          onValue={setVariable}
          options={picker.map((p) => ({ value: p.path, label: pickerLabel(p) }))}
        />
        <Field label={t("campaigns.variant.fallback")} value={fallback} onValue={setFallback} maxLength={200} />
        <button type="button" class="button-secondary" onClick={insert}>
          {t("campaigns.variant.insert")}
        </button>
        {onRemove && (
          <button type="button" class="button-link remove-variant" onClick={onRemove}>
            {t("campaigns.variant.remove", { n: index + 1 })}
          </button>
        )}
      </div>
    </div>
  );
}

function TextVariants({ draft, update, errors, data, preview }: StepProps) {
  const picker = variablePicker(data.attributeKeys);
  const { contact, caption, picker: samplePicker } = useSampleContact(preview.preview?.sample ?? []);
  const variants = draft.variants;
  const set = (i: number, text: string) => update({ variants: variants.map((v, j) => (j === i ? text : v)) });
  return (
    <div class="stack">
      {errors["content.variants"] && <ErrorText id="variants-error" error={errors["content.variants"]} />}
      {samplePicker}
      {variants.map((text, i) => {
        const rendered = renderText(text, contact);
        return (
          <div class="compose" key={i}>
            <VariantEditor
              index={i}
              text={text}
              onText={(t) => set(i, t)}
              onRemove={variants.length > 1 ? () => update({ variants: variants.filter((_, j) => j !== i) }) : undefined}
              error={errors[`content.variants.${i}`]}
              picker={picker}
            />
            <div class="preview-pane">
              <WhatsAppBubble content={{ body: rendered.ok ? rendered.text : text }} caption={`${t("campaigns.variant.label", { n: i + 1 })} · ${caption}`} />
              {!rendered.ok && (
                <p class="hint">{t("campaigns.preview.noValue", { name: contact.name || contact.phone, fields: rendered.missing.join(", ") })}</p>
              )}
            </div>
          </div>
        );
      })}
      {variants.length < MAX_VARIANTS && (
        <p>
          <button type="button" class="button-secondary" onClick={() => update({ variants: [...variants, ""] })}>
            {t("campaigns.variant.add")}
          </button>{" "}
          <span class="muted">{t("campaigns.variant.count", { n: variants.length, max: MAX_VARIANTS })}</span>
        </p>
      )}
    </div>
  );
}
