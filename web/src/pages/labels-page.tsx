import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { fieldErrors, messageOf } from "../api";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { t, tn } from "../i18n";
import { createLabel, labels, loadLabels } from "../state/labels";

export function LabelsPage() {
  useTitle(t("labels.title"));
  useEffect(() => {
    void loadLabels();
  }, []);
  const { items, loading, error } = labels.value;

  const [name, setName] = useState("");
  const [pending, setPending] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState("");
  const formRef = useRef<HTMLFormElement>(null);

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setPending(true);
    setFormError(null);
    setNameError(undefined);
    setStatus("");
    try {
      const label = await createLabel(name);
      setName("");
      setStatus(t("labels.created", { name: label.name }));
    } catch (err) {
      setFormError(messageOf(err));
      setNameError(fieldErrors(err).name);
    } finally {
      setPending(false);
      formRef.current?.querySelector("input")?.focus();
    }
  };

  return (
    <>
      <h1>{t("labels.title")}</h1>
      <p class="muted">{t("labels.intro")}</p>

      <section class="panel" aria-labelledby="new-label-heading">
        <h2 id="new-label-heading">{t("labels.new")}</h2>
        <form class="inline-form" onSubmit={onSubmit} ref={formRef}>
          <Field label={t("labels.name")} value={name} onValue={setName} error={nameError} required maxLength={50} autoComplete="off" />
          <button type="submit" disabled={pending}>
            {pending ? t("labels.creating") : t("labels.create")}
          </button>
        </form>
        <FormError message={formError} />
        <p class="status" role="status">
          {status}
        </p>
      </section>

      <section aria-labelledby="all-labels-heading" aria-busy={loading}>
        <h2 id="all-labels-heading">{t("labels.all")}</h2>
        {error && (
          <div class="alert" role="alert">
            {t("labels.loadFailed", { message: error })}{" "}
            <button type="button" class="button-link" onClick={() => void loadLabels()}>
              {t("common.tryAgain")}
            </button>
          </div>
        )}
        {items === null ? (
          loading && <p class="muted">{t("labels.loading")}</p>
        ) : items.length === 0 ? (
          <p class="muted">{t("labels.empty")}</p>
        ) : (
          <ul class="label-list">
            {items.map((label) => (
              <li key={label.id} data-label={label.id}>
                <span class="swatch" style={{ backgroundColor: label.color }} aria-hidden="true" />
                <span class="label-name">{label.name}</span>
                <a class="label-count" href={`/contacts?labels=${label.id}`}>
                  {tn("labels.contacts", label.contact_count)}
                  <span class="visually-hidden"> {t("labels.withLabel", { name: label.name })}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
