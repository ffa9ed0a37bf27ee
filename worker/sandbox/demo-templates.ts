import type { MetaTemplate } from "../domain/templates";

/**
 * The templates every sandbox WhatsApp Business Account owns, as `GET /{waba_id}/message_templates`
 * lists them. They cover what Herald must handle: positional and named parameters, text and
 * media headers, quick-reply and URL buttons, and every status that cannot be sent.
 * The demo loader and the tests use them too.
 */
export const DEMO_TEMPLATES: readonly MetaTemplate[] = [
  {
    id: "1192339204654487",
    name: "hello_world",
    language: "en_US",
    status: "APPROVED",
    category: "MARKETING",
    components: [
      { type: "HEADER", format: "TEXT", text: "Hello World" },
      {
        type: "BODY",
        text: "Welcome and congratulations!! This message demonstrates your ability to send a message notification from WhatsApp Business Platform’s Cloud API. Thank you for taking the time to test with us.",
      },
      { type: "FOOTER", text: "WhatsApp Business API Team" },
    ],
  },
  {
    id: "1408215736604512",
    name: "welcome_offer",
    language: "pt_BR",
    status: "APPROVED",
    category: "MARKETING",
    parameter_format: "POSITIONAL",
    components: [
      { type: "HEADER", format: "TEXT", text: "Oferta para {{1}}", example: { header_text: ["Maria"] } },
      {
        type: "BODY",
        text: "Olá {{1}}! Preparamos um presente de boas-vindas: use o cupom {{2}} e ganhe 15% de desconto na sua primeira compra.",
        example: { body_text: [["Maria", "BEMVINDO15"]] },
      },
      { type: "FOOTER", text: "Não quer receber ofertas? Toque em Parar promoções" },
      {
        type: "BUTTONS",
        buttons: [
          { type: "QUICK_REPLY", text: "Quero!" },
          { type: "QUICK_REPLY", text: "Parar promoções" },
        ],
      },
    ],
  },
  {
    id: "1720583394915027",
    name: "order_update",
    language: "en_US",
    status: "APPROVED",
    category: "UTILITY",
    parameter_format: "NAMED",
    components: [
      {
        type: "BODY",
        text: "Hi {{first_name}}, your order {{order_id}} is on its way. Track it with the button below.",
        example: {
          body_text_named_params: [
            { param_name: "first_name", example: "Jessica" },
            { param_name: "order_id", example: "SKBUP2-4CPIG9" },
          ],
        },
      },
      { type: "FOOTER", text: "Questions? Just reply to this message." },
      {
        type: "BUTTONS",
        buttons: [{ type: "URL", text: "Track order", url: "https://example.com/orders/{{1}}", example: ["https://example.com/orders/SKBUP2-4CPIG9"] }],
      },
    ],
  },
  {
    id: "1039946617830244",
    name: "new_collection",
    language: "pt_BR",
    status: "APPROVED",
    category: "MARKETING",
    parameter_format: "POSITIONAL",
    components: [
      {
        type: "HEADER",
        format: "IMAGE",
        example: { header_handle: ["https://scontent.whatsapp.net/v/t61.29466-34/demo-new-collection.jpg"] },
      },
      {
        type: "BODY",
        text: "{{1}}, a nova coleção chegou! Peças leves para a estação, com frete grátis nesta semana.",
        example: { body_text: [["Ana"]] },
      },
      { type: "FOOTER", text: "Responda PARAR para não receber mais mensagens" },
      {
        type: "BUTTONS",
        buttons: [
          { type: "URL", text: "Ver coleção", url: "https://example.com/colecao" },
          { type: "QUICK_REPLY", text: "Parar promoções" },
        ],
      },
    ],
  },
  {
    id: "1287730052114958",
    name: "appointment_reminder",
    language: "en_US",
    status: "APPROVED",
    category: "UTILITY",
    parameter_format: "POSITIONAL",
    components: [
      {
        type: "BODY",
        text: "Hi {{1}}, this is a reminder of your appointment on {{2}} at {{3}}. Reply to this message if you need to reschedule.",
        example: { body_text: [["Alex", "June 3", "10:30 AM"]] },
      },
      {
        type: "BUTTONS",
        buttons: [
          { type: "QUICK_REPLY", text: "Confirm" },
          { type: "QUICK_REPLY", text: "Reschedule" },
        ],
      },
    ],
  },
  {
    id: "1564420983376101",
    name: "summer_sale_draft",
    language: "en_US",
    status: "PENDING",
    category: "MARKETING",
    parameter_format: "POSITIONAL",
    components: [{ type: "BODY", text: "Summer sale starts now, {{1}}! Everything 30% off.", example: { body_text: [["Sam"]] } }],
  },
  {
    id: "1862036115729483",
    name: "crypto_promo",
    language: "en_US",
    status: "REJECTED",
    category: "MARKETING",
    components: [{ type: "BODY", text: "Double your money in 24 hours with our new coin. Limited spots!" }],
  },
  {
    id: "1325598840217766",
    name: "flash_sale",
    language: "pt_BR",
    status: "PAUSED",
    category: "MARKETING",
    parameter_format: "POSITIONAL",
    components: [
      { type: "BODY", text: "Só hoje, {{1}}: tudo com 50% de desconto até meia-noite!", example: { body_text: [["Carla"]] } },
      { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "Parar promoções" }] },
    ],
  },
  {
    id: "1143375520986409",
    name: "old_newsletter",
    language: "en_US",
    status: "DISABLED",
    category: "MARKETING",
    components: [{ type: "BODY", text: "Our monthly newsletter is here. Read what's new this month." }],
  },
];

/** The demo template with that name and language code, if any. */
export function findDemoTemplate(name: string, language: string): MetaTemplate | undefined {
  return DEMO_TEMPLATES.find((t) => t.name === name && t.language === language);
}
