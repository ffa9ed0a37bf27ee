import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { fieldErrors, messageOf } from "../api";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { createLabel, labels, loadLabels } from "../state/labels";

const contacts = (n: number) => `${n} ${n === 1 ? "contact" : "contacts"}`;

export function LabelsPage() {
  useTitle("Labels");
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
      setStatus(`Label “${label.name}” created.`);
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
      <h1>Labels</h1>
      <p class="muted">Labels group contacts so campaigns can target them.</p>

      <section class="panel" aria-labelledby="new-label-heading">
        <h2 id="new-label-heading">New label</h2>
        <form class="inline-form" onSubmit={onSubmit} ref={formRef}>
          <Field label="Name" value={name} onValue={setName} error={nameError} required maxLength={50} autoComplete="off" />
          <button type="submit" disabled={pending}>
            {pending ? "Creating…" : "Create label"}
          </button>
        </form>
        <FormError message={formError} />
        <p class="status" role="status">
          {status}
        </p>
      </section>

      <section aria-labelledby="all-labels-heading" aria-busy={loading}>
        <h2 id="all-labels-heading">All labels</h2>
        {error && (
          <div class="alert" role="alert">
            Could not load labels: {error}{" "}
            <button type="button" class="button-link" onClick={() => void loadLabels()}>
              Try again
            </button>
          </div>
        )}
        {items === null ? (
          loading && <p class="muted">Loading labels…</p>
        ) : items.length === 0 ? (
          <p class="muted">No labels yet. Create the first one above.</p>
        ) : (
          <ul class="label-list">
            {items.map((label) => (
              <li key={label.id}>
                <span class="swatch" style={{ backgroundColor: label.color }} aria-hidden="true" />
                <span class="label-name">{label.name}</span>
                <span class="label-count">{contacts(label.contact_count)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
