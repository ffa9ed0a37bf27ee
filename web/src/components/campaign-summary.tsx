import type { ComponentChildren } from "preact";
import { formatNumber } from "../lib/format";
import type { AudienceSelection, CampaignContent, Label, SendSettings, ValueSource } from "../types";

const sourceText = (s: ValueSource) => (s.source === "fixed" ? `“${s.value}”` : `contact ${s.field.replace("attributes.", "")}${s.fallback ? ` (else “${s.fallback}”)` : ""}`);

function Row({ term, children, onChange }: { term: string; children: ComponentChildren; onChange?: (() => void) | undefined }) {
  return (
    <div class="summary-row">
      <dt>{term}</dt>
      <dd>{children}</dd>
      {onChange && (
        <dd class="summary-change">
          <button type="button" class="button-link" onClick={onChange}>
            Change<span class="visually-hidden"> {term.toLowerCase()}</span>
          </button>
        </dd>
      )}
    </div>
  );
}

export type SummaryProps = {
  title: string;
  inbox: string;
  audience: AudienceSelection;
  labels: Label[] | null;
  content: CampaignContent;
  settings: SendSettings;
  when?: string;
  /** Offers a "Change" link per row that opens the editor step. */
  onChange?: (what: "title" | "inbox" | "audience" | "content" | "settings" | "when") => void;
};

/** A campaign's choices as a list of terms, for the review step and the campaign's page. */
export function CampaignSummary({ title, inbox, audience, labels, content, settings, when, onChange }: SummaryProps) {
  const name = (id: number) => labels?.find((l) => l.id === id)?.name ?? `label ${id}`;
  const change = (what: Parameters<NonNullable<SummaryProps["onChange"]>>[0]) => (onChange ? () => onChange(what) : undefined);
  return (
    <dl class="summary">
      <Row term="Title" onChange={change("title")}>
        {title}
      </Row>
      <Row term="Inbox" onChange={change("inbox")}>
        {inbox}
      </Row>
      <Row term="Audience" onChange={change("audience")}>
        {audience.match === "all" ? "All of: " : "Any of: "}
        {audience.labels.map(name).join(", ")}
        {audience.exclude_labels.length > 0 && <> · leaving out {audience.exclude_labels.map(name).join(", ")}</>}
      </Row>
      <Row term="Content" onChange={change("content")}>
        {content.type === "template" ? (
          <>
            Template <strong>{content.template_name}</strong> ({content.language})
            <ul class="plain-list">
              {Object.entries({ header: content.values.header, body: content.values.body, button: content.values.buttons }).flatMap(([section, sources]) =>
                Object.entries(sources ?? {}).map(([key, s]) => (
                  <li key={`${section}.${key}`}>
                    {section} {`{{${key}}}`}: {sourceText(s)}
                  </li>
                )),
              )}
              {content.values.media?.link && <li>header media: {content.values.media.link}</li>}
            </ul>
          </>
        ) : (
          <>
            {content.variants.length} {content.variants.length === 1 ? "variant" : "variants"} of free text
            <ol class="plain-list variants-list">
              {content.variants.map((v, i) => (
                <li key={i} class="pre">
                  {v}
                </li>
              ))}
            </ol>
          </>
        )}
      </Row>
      <Row term="Send settings" onChange={change("settings")}>
        {settings.min_delay_s === settings.max_delay_s ? `${settings.min_delay_s} s` : `${settings.min_delay_s}–${settings.max_delay_s} s`} between messages, batches of{" "}
        {formatNumber(settings.batch_size)}
        {settings.batch_pause_s > 0 && ` with ${settings.batch_pause_s} s between batches`}, variants {settings.randomize_variants ? "at random" : "in turn"}, pauses itself at{" "}
        {Math.round(settings.failure_threshold * 100)} % failures over {settings.failure_window} messages
      </Row>
      {when !== undefined && (
        <Row term="When" onChange={change("when")}>
          {when}
        </Row>
      )}
    </dl>
  );
}
