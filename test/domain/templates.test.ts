import { describe, expect, it } from "vitest";
import { type TemplateComponent, templatePreview } from "../../worker/domain/templates";

const positional: TemplateComponent[] = [
  { type: "HEADER", format: "TEXT", text: "Hello {{1}}" },
  { type: "BODY", text: "Hi {{1}}, your code is {{2}}. Bye {{1}}!" },
  { type: "FOOTER", text: "Reply STOP to opt out" },
  {
    type: "BUTTONS",
    buttons: [
      { type: "URL", text: "Shop", url: "https://shop.example/{{1}}" },
      { type: "QUICK_REPLY", text: "Stop" },
      { type: "PHONE_NUMBER", text: "Call us", phone_number: "+5511987654321" },
    ],
  },
];

describe("templatePreview", () => {
  it("fills header, body and URL button placeholders with the values given", () => {
    expect(templatePreview(positional, { header: { "1": "Ana" }, body: { "1": "Ana", "2": "XYZ" }, buttons: { "0": "summer", "1": "stop-payload" } })).toEqual({
      header: { format: "TEXT", text: "Hello Ana" },
      body: "Hi Ana, your code is XYZ. Bye Ana!",
      footer: "Reply STOP to opt out",
      buttons: [
        { type: "URL", text: "Shop", url: "https://shop.example/summer" },
        { type: "QUICK_REPLY", text: "Stop" },
        { type: "PHONE_NUMBER", text: "Call us" },
      ],
    });
  });

  it("leaves placeholders without a value, or with a blank one, as written", () => {
    const preview = templatePreview(positional, { body: { "2": "  " } });
    expect(preview.header).toEqual({ format: "TEXT", text: "Hello {{1}}" });
    expect(preview.body).toBe("Hi {{1}}, your code is {{2}}. Bye {{1}}!");
    expect(preview.buttons[0]).toEqual({ type: "URL", text: "Shop", url: "https://shop.example/{{1}}" });
    expect(templatePreview([{ type: "BODY", text: "Hi {{ 1 }}" }], {}).body).toBe("Hi {{ 1 }}");
  });

  it("fills named placeholders, spaces inside the braces allowed", () => {
    const named: TemplateComponent[] = [{ type: "BODY", text: "Hi {{first_name}}, order {{ order_id }} ships {{when}}" }];
    expect(templatePreview(named, { body: { first_name: "Ana", order_id: "A-1" } }).body).toBe("Hi Ana, order A-1 ships {{when}}");
  });

  it("does not read values as patterns", () => {
    expect(templatePreview([{ type: "BODY", text: "Price: {{1}}" }], { body: { "1": "$& $1 {{2}}" } }).body).toBe("Price: $& $1 {{2}}");
  });

  it("shows a media header's format and link, and no header, footer or buttons when the template has none", () => {
    const media: TemplateComponent[] = [
      { type: "HEADER", format: "IMAGE" },
      { type: "BODY", text: "New arrivals" },
    ];
    expect(templatePreview(media, { media: { link: "https://cdn.example/a.png" } })).toEqual({
      header: { format: "IMAGE", link: "https://cdn.example/a.png" },
      body: "New arrivals",
      footer: null,
      buttons: [],
    });
    expect(templatePreview(media, { media: { id: "123" } }).header).toEqual({ format: "IMAGE" });
    expect(templatePreview([{ type: "HEADER", format: "location" }], {}).header).toEqual({ format: "LOCATION" });
    expect(templatePreview([], {})).toEqual({ header: null, body: "", footer: null, buttons: [] });
  });

  it("keeps a URL button without placeholders as it is", () => {
    const fixed: TemplateComponent[] = [{ type: "BUTTONS", buttons: [{ type: "URL", text: "Site", url: "https://example.test/" }] }];
    expect(templatePreview(fixed, { buttons: { "0": "ignored" } }).buttons).toEqual([{ type: "URL", text: "Site", url: "https://example.test/" }]);
  });
});
