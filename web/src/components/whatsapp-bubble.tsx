/** What a recipient's phone shows: a WhatsApp-style bubble. Every text is rendered as text. */
export type BubbleContent = {
  header?: { format: string; text?: string; link?: string } | null;
  body: string;
  footer?: string | null;
  buttons?: { type: string; text: string; url?: string }[];
};

const MEDIA_LABEL: Record<string, string> = { IMAGE: "Image", VIDEO: "Video", DOCUMENT: "Document", LOCATION: "Location" };

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
              {MEDIA_LABEL[header.format] ?? header.format}
              {header.link ? <span class="bubble-media-link">{header.link}</span> : <span> (no link yet)</span>}
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
