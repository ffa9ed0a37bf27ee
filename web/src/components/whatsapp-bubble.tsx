import { t } from "../i18n";
/** What a recipient's phone shows: a WhatsApp-style bubble. Every text is rendered as text. */
export type BubbleContent = {
  header?: { format: string; text?: string; link?: string } | null;
  body: string;
  footer?: string | null;
  buttons?: { type: string; text: string; url?: string }[];
};

const MEDIA = ["IMAGE", "VIDEO", "DOCUMENT", "LOCATION"] as const;
const mediaLabel = (format: string) => ((MEDIA as readonly string[]).includes(format) ? t(`campaigns.media.${format as (typeof MEDIA)[number]}`) : format);

export function WhatsAppBubble({ content, caption }: { content: BubbleContent; caption: string }) {
  const { header, body, footer, buttons = [] } = content;
  return (
    <figure class="phone-preview" aria-label={caption}>
      <figcaption class="hint">{caption}</figcaption>
      <div class="chat">
        <div class="bubble" data-preview>
          {header && header.format === "TEXT" && <p class="bubble-header">{header.text}</p>}
          {header && header.format !== "TEXT" && (
            <div class="bubble-media">
              {mediaLabel(header.format)}
              {header.link ? <span class="bubble-media-link">{header.link}</span> : <span> {t("campaigns.media.noLink")}</span>}
            </div>
          )}
          <p class="bubble-body">{body}</p>
          {footer && <p class="bubble-footer">{footer}</p>}
        </div>
        {buttons.length > 0 && (
          <ul class="bubble-buttons">
            {buttons.map((b, i) => (
              <li key={i} title={b.url}>
                {b.text}
              </li>
            ))}
          </ul>
        )}
      </div>
    </figure>
  );
}
