import { useEffect, useRef, useState } from "preact/hooks";
import { fieldErrors, messageOf } from "../api";
import { t } from "../i18n";
import { noticeSessionEnd } from "../state/session";

export type FieldErrors = Record<string, string>;

/** A field's API errors by the first segment of their path ("opt_out_keywords.2" → "opt_out_keywords"). */
export function errorsByField(error: unknown): FieldErrors {
  const out: FieldErrors = {};
  for (const [path, message] of Object.entries(fieldErrors(error))) {
    const key = path.split(".")[0] ?? "";
    if (!(key in out)) out[key] = message;
  }
  return out;
}

/**
 * What a form that saves through the API keeps: the errors next to its fields, the error over the
 * form, the status line announced after a save, and whether a save is under way. After a failed
 * save the first field in error takes the focus (the form is `formRef`).
 *
 * `submit(save)` clears the errors and the status, runs `save` and shows the status it answers.
 * When it throws, an API refusal naming fields puts each message next to its field (only the
 * fields in `fields`, when given) with "correct the fields" over the form; anything else is shown
 * over the form in words.
 * @example const form = useFormSubmission(); form.submit(async () => { await api.patch(…); return t("saved"); });
 */
export function useFormSubmission({ fields }: { fields?: readonly string[] } = {}) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
  }, [errors]);

  /** Errors found before anything is sent: shown next to their fields, "correct the fields" over the form. */
  const refuse = (found: FieldErrors) => {
    setStatus("");
    setErrors(found);
    setFormError(t("settings.correctFields"));
  };

  const clearErrors = (...keys: string[]) =>
    setErrors((current) => (keys.some((k) => k in current) ? Object.fromEntries(Object.entries(current).filter(([k]) => !keys.includes(k))) : current));

  const submit = async (save: () => Promise<string | undefined>) => {
    setStatus("");
    setFormError(null);
    setErrors({});
    setPending(true);
    try {
      setStatus((await save()) ?? "");
    } catch (err) {
      noticeSessionEnd(err);
      const all = errorsByField(err);
      const byField = fields ? Object.fromEntries(Object.entries(all).filter(([k]) => fields.includes(k))) : all;
      setErrors(byField);
      setFormError(Object.keys(byField).length ? t("settings.correctFields") : messageOf(err));
    } finally {
      setPending(false);
    }
  };

  return { errors, formError, setFormError, status, setStatus, pending, formRef, refuse, clearErrors, submit };
}
