import type { InputHTMLAttributes } from "preact";
import { useId } from "preact/hooks";

type FieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "value" | "onInput"> & {
  label: string;
  /** Help text under the label, read out with the input. */
  hint?: string;
  /** A message for this field from the server, shown under the input. */
  error?: string;
  value: string;
  onValue: (value: string) => void;
};

/** A labelled text input with optional hint and error, both linked with aria-describedby. */
export function Field({ label, hint, error, value, onValue, ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p id={hintId} class="hint">
          {hint}
        </p>
      )}
      <input
        {...input}
        id={id}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      {error && (
        <p id={errorId} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
