/** Pieces the Contacts and Import contacts pages share. */
import { useId } from "preact/hooks";
import { ErrorText } from "../components/controls";
import { t } from "../i18n";
import { formatNumber } from "../lib/format";
import type { Label } from "../types";

/** A label as a small chip in its colour (text stays dark, so any colour reads well). */
export function Chip({ label }: { label: { name: string; color: string } }) {
  return (
    <span class="chip" style={{ borderColor: label.color, backgroundColor: `${label.color}1f` }}>
      <span class="swatch" style={{ backgroundColor: label.color }} aria-hidden="true" />
      {label.name}
    </span>
  );
}

/** Checkboxes for the workspace's labels, as a fieldset with its legend, hint and error. */
export function LabelChecks({
  legend,
  all,
  chosen,
  onChosen,
  error,
  hint,
  counts = false,
}: {
  legend: string;
  all: Label[];
  chosen: number[];
  onChosen: (ids: number[]) => void;
  error?: string | undefined;
  hint?: string;
  /** Show each label's contact count. */
  counts?: boolean;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <fieldset class="choice-group" aria-describedby={describedBy}>
      <legend>{legend}</legend>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      <ErrorText id={`${id}-error`} error={error} />
      {all.length === 0 ? (
        <p class="muted">
          {t("contacts.labels.none")} <a href="/labels">{t("contacts.labels.create")}</a>
        </p>
      ) : (
        <div class="label-grid">
          {all.map((l) => (
            <label key={l.id} class="choice">
              <input
                type="checkbox"
                value={l.id}
                checked={chosen.includes(l.id)}
                onChange={(e) => onChosen(e.currentTarget.checked ? [...chosen, l.id] : chosen.filter((x) => x !== l.id))}
              />
              <span class="swatch" style={{ background: l.color }} aria-hidden="true" />
              <span>
                {l.name}
                {counts && <span class="muted"> ({formatNumber(l.contact_count)})</span>}
              </span>
            </label>
          ))}
        </div>
      )}
    </fieldset>
  );
}
