import type { ComponentChildren } from "preact";
import { t, tn } from "../i18n";
import { windowSummary } from "../lib/send-window";
import type { AudienceSelection, CampaignContent, Label, SendSettings, ValueSource } from "../types";
import { RetargetAudience } from "./retarget-audience";

const sourceText = (s: ValueSource) =>
  s.source === "fixed"
    ? `“${s.value}”`
    : s.fallback
      ? t("campaigns.summary.fieldWithFallback", { field: s.field.replace("attributes.", ""), fallback: s.fallback })
      : t("campaigns.summary.field", { field: s.field.replace("attributes.", "") });

function Row({ term, children, onChange }: { term: string; children: ComponentChildren; onChange?: (() => void) | undefined }) {
  return (
    <div class="summary-row">
      <dt>{term}</dt>
      <dd>{children}</dd>
      {onChange && (
        <dd class="summary-change">
          <button type="button" class="button-link" onClick={onChange}>
            {t("common.change")}
            <span class="visually-hidden"> {term.toLowerCase()}</span>
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
  const name = (id: number) => labels?.find((l) => l.id === id)?.name ?? t("campaigns.summary.label", { id });
  const change = (what: Parameters<NonNullable<SummaryProps["onChange"]>>[0]) => (onChange ? () => onChange(what) : undefined);
  return (
    <dl class="summary">
      <Row term={t("campaigns.step.title")} onChange={change("title")}>
        {title}
      </Row>
      <Row term={t("campaigns.step.inbox")} onChange={change("inbox")}>
        {inbox}
      </Row>
      <Row term={t("campaigns.step.audience")} onChange={change("audience")}>
        {audience.from_campaign && <RetargetAudience from={audience.from_campaign} />}
        {audience.from_campaign && audience.labels.length > 0 && " · "}
        {audience.labels.length > 0 &&
          t(audience.match === "all" ? "campaigns.summary.allOf" : "campaigns.summary.anyOf", { labels: audience.labels.map(name).join(", ") })}
        {audience.exclude_labels.length > 0 && <> · {t("campaigns.summary.leavingOut", { labels: audience.exclude_labels.map(name).join(", ") })}</>}
      </Row>
      <Row term={t("campaigns.step.content")} onChange={change("content")}>
        {content.type === "template" ? (
          <>
            {t("campaigns.summary.template")} <strong>{content.template_name}</strong> ({content.language})
            <ul class="plain-list">
              {Object.entries({ header: content.values.header, body: content.values.body, button: content.values.buttons }).flatMap(([section, sources]) =>
                Object.entries(sources ?? {}).map(([key, s]) => (
                  <li key={`${section}.${key}`}>
                    {t(`campaigns.summary.section.${section as "header" | "body" | "button"}`)} {`{{${key}}}`}: {sourceText(s)}
                  </li>
                )),
              )}
              {content.values.media?.link && <li>{t("campaigns.summary.media", { link: content.values.media.link })}</li>}
            </ul>
          </>
        ) : (
          <>
            {tn("campaigns.summary.variants", content.variants.length)}
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
      <Row term={t("campaigns.step.settings")} onChange={change("settings")}>
        {t("campaigns.summary.pace", {
          delay: settings.min_delay_s === settings.max_delay_s ? `${settings.min_delay_s}` : `${settings.min_delay_s}–${settings.max_delay_s}`,
          batch: settings.batch_size,
        })}
        {settings.batch_pause_s > 0 && `, ${t("campaigns.summary.batchPause", { pause: settings.batch_pause_s })}`}
        {", "}
        {t(settings.randomize_variants ? "campaigns.summary.variantsRandom" : "campaigns.summary.variantsInTurn")}
        {", "}
        {t("campaigns.summary.autoPause", { threshold: Math.round(settings.failure_threshold * 100), window: settings.failure_window })}
        {settings.send_window && <span data-summary-window>, {windowSummary(settings.send_window)}</span>}
      </Row>
      {when !== undefined && (
        <Row term={t("campaigns.step.when")} onChange={change("when")}>
          {when}
        </Row>
      )}
    </dl>
  );
}
