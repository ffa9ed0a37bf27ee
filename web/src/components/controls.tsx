import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";
import { t } from "../i18n";

/** A field's error under it, linked to the control by id. */
export function ErrorText({ id, error }: { id: string; error?: string | undefined }) {
  return error ? (
    <p id={id} class="field-error">
      {error}
    </p>
  ) : null;
}

const describedBy = (...ids: (string | false | undefined)[]) => ids.filter(Boolean).join(" ") || undefined;

type Option = { value: string; label: string; hint?: string };

/** Radio buttons under one question (fieldset + legend), with an error for the question. */
export function RadioGroup({
  legend,
  name,
  options,
  value,
  onValue,
  error,
  hint,
}: {
  legend: string;
  name: string;
  options: Option[];
  value: string;
  onValue: (v: string) => void;
  error?: string | undefined;
  hint?: string;
}) {
  const id = useId();
  return (
    <fieldset class="choice-group" aria-describedby={describedBy(hint && `${id}-hint`, error && `${id}-error`)}>
      <legend>{legend}</legend>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      <ErrorText id={`${id}-error`} error={error} />
      {options.map((o) => (
        <label key={o.value} class="choice">
          <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onValue(o.value)} />
          <span>
            {o.label}
            {o.hint && <span class="hint choice-hint">{o.hint}</span>}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

/** A labelled <select>. */
export function SelectField({
  label,
  value,
  onValue,
  options,
  error,
  hint,
  ...rest
}: {
  label: string;
  value: string;
  onValue: (v: string) => void;
  options: Option[];
  error?: string | undefined;
  hint?: string;
  name?: string;
  "data-field"?: string;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      <select
        id={id}
        value={value}
        onChange={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(hint && `${id}-hint`, error && `${id}-error`)}
        {...rest}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <ErrorText id={`${id}-error`} error={error} />
    </div>
  );
}

/** A labelled checkbox with optional hint. */
export function Checkbox({ label, checked, onChecked, hint }: { label: string; checked: boolean; onChecked: (v: boolean) => void; hint?: string }) {
  const id = useId();
  return (
    <div class="checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChecked(e.currentTarget.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <label for={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** A boxed note (information, or a warning when `tone` says so). */
export function Notice({ children, tone = "info", ...rest }: { children: ComponentChildren; tone?: "info" | "warning"; "data-notice"?: string }) {
  return (
    <div class={`notice notice-${tone}`} {...rest}>
      {children}
    </div>
  );
}

/** A form's submit button: "Saving…" and disabled while the save is under way. */
export function SaveButton({ pending, label }: { pending: boolean; label: string }) {
  return (
    <button type="submit" disabled={pending}>
      {pending ? t("common.saving") : label}
    </button>
  );
}
