import { messages } from "./types";

/** The frequency cap (Settings), marketing preferences from WhatsApp, and the recipients they leave out. */
export const capPrefs = messages(
  {
    "capPrefs.cap.heading": "Frequency cap",
    "capPrefs.cap.intro":
      "Limit how many campaign messages each contact receives, across every campaign and inbox. When a campaign launches, contacts who already reached the cap are skipped.",
    "capPrefs.cap.choice": "Campaign messages per contact",
    "capPrefs.cap.off": "No cap",
    "capPrefs.cap.offHint": "Contacts receive every campaign they are in.",
    "capPrefs.cap.on": "Limit campaign messages per contact",
    "capPrefs.cap.messages": "Messages at most",
    "capPrefs.cap.messagesHint": "A whole number from 1 to 100.",
    "capPrefs.cap.days": "Within this many days",
    "capPrefs.cap.daysHint": "A whole number from 1 to 90.",
    "capPrefs.cap.suggestion": "Suggested for marketing: at most 1 campaign message per contact in 7 days.",
    "capPrefs.cap.useSuggestion": "Use 1 per 7 days",
    "capPrefs.cap.save": "Save frequency cap",
    "capPrefs.cap.saved": "Frequency cap saved.",
    "capPrefs.cap.adminsOnly": "Only admins can change the frequency cap.",
    "capPrefs.cap.current": "Current cap",
    "capPrefs.cap.none": "No cap",
    "capPrefs.cap.value_one": "At most {count} campaign message per contact in {period}",
    "capPrefs.cap.value_other": "At most {count} campaign messages per contact in {period}",
    "capPrefs.cap.period_one": "{count} day",
    "capPrefs.cap.period_other": "{count} days",
    "capPrefs.refusals.heading": "Refused for WhatsApp's marketing limit",
    "capPrefs.refusals.none": "In the last {days} days WhatsApp refused no message for its per-user marketing limit (error 131049).",
    "capPrefs.refusals.some_one":
      "In the last {days} days WhatsApp refused {count} message because the person had received too many marketing messages (error 131049). A frequency cap sends fewer messages to the same people.",
    "capPrefs.refusals.some_other":
      "In the last {days} days WhatsApp refused {count} messages because the people had received too many marketing messages (error 131049). A frequency cap sends fewer messages to the same people.",
    "capPrefs.refusals.failed": "Could not count the refused messages: {message}",

    "capPrefs.review.frequencyCap_one": "{count} contact already received as many campaign messages as the frequency cap allows and will be skipped.",
    "capPrefs.review.frequencyCap_other": "{count} contacts already received as many campaign messages as the frequency cap allows and will be skipped.",
    "capPrefs.review.marketingStopped_one": "{count} contact stopped marketing messages on WhatsApp and will be skipped.",
    "capPrefs.review.marketingStopped_other": "{count} contacts stopped marketing messages on WhatsApp and will be skipped.",
    "capPrefs.review.everyoneSkipped":
      "Every contact of this audience would be skipped, so nobody would receive this campaign. Change the audience or the content, or save it as a draft.",

    "capPrefs.reason.outside_service_window": "Has not written in the last 24 hours",
    "capPrefs.reason.marketing_stopped": "Stopped marketing messages on WhatsApp",
    "capPrefs.reason.frequency_cap": "Over the frequency cap",

    "capPrefs.contact.stoppedOn": "Stopped marketing on {date}",

    "capPrefs.sandbox.stop": "Stop marketing",
    "capPrefs.sandbox.resume": "Resume marketing",
    "capPrefs.sandbox.stopped": "{name} stopped marketing messages from this number.",
    "capPrefs.sandbox.resumed": "{name} resumed marketing messages from this number.",
    "capPrefs.sandbox.badge": "Stopped marketing",
  },
  {
    "capPrefs.cap.heading": "Limite de frequência",
    "capPrefs.cap.intro":
      "Limite quantas mensagens de campanha cada contato recebe, somando todas as campanhas e caixas de entrada. Quando uma campanha é iniciada, os contatos que já atingiram o limite são pulados.",
    "capPrefs.cap.choice": "Mensagens de campanha por contato",
    "capPrefs.cap.off": "Sem limite",
    "capPrefs.cap.offHint": "Os contatos recebem todas as campanhas em que estão.",
    "capPrefs.cap.on": "Limitar as mensagens de campanha por contato",
    "capPrefs.cap.messages": "No máximo (mensagens)",
    "capPrefs.cap.messagesHint": "Um número inteiro de 1 a 100.",
    "capPrefs.cap.days": "Em quantos dias",
    "capPrefs.cap.daysHint": "Um número inteiro de 1 a 90.",
    "capPrefs.cap.suggestion": "Sugestão para marketing: no máximo 1 mensagem de campanha por contato a cada 7 dias.",
    "capPrefs.cap.useSuggestion": "Usar 1 a cada 7 dias",
    "capPrefs.cap.save": "Salvar limite de frequência",
    "capPrefs.cap.saved": "Limite de frequência salvo.",
    "capPrefs.cap.adminsOnly": "Só administradores podem mudar o limite de frequência.",
    "capPrefs.cap.current": "Limite atual",
    "capPrefs.cap.none": "Sem limite",
    "capPrefs.cap.value_one": "No máximo {count} mensagem de campanha por contato em {period}",
    "capPrefs.cap.value_other": "No máximo {count} mensagens de campanha por contato em {period}",
    "capPrefs.cap.period_one": "{count} dia",
    "capPrefs.cap.period_other": "{count} dias",
    "capPrefs.refusals.heading": "Recusadas pelo limite de marketing do WhatsApp",
    "capPrefs.refusals.none": "Nos últimos {days} dias o WhatsApp não recusou nenhuma mensagem pelo limite de marketing por pessoa (erro 131049).",
    "capPrefs.refusals.some_one":
      "Nos últimos {days} dias o WhatsApp recusou {count} mensagem porque a pessoa tinha recebido mensagens de marketing demais (erro 131049). Um limite de frequência envia menos mensagens às mesmas pessoas.",
    "capPrefs.refusals.some_other":
      "Nos últimos {days} dias o WhatsApp recusou {count} mensagens porque as pessoas tinham recebido mensagens de marketing demais (erro 131049). Um limite de frequência envia menos mensagens às mesmas pessoas.",
    "capPrefs.refusals.failed": "Não foi possível contar as mensagens recusadas: {message}",

    "capPrefs.review.frequencyCap_one": "{count} contato já recebeu tantas mensagens de campanha quanto o limite de frequência permite e será pulado.",
    "capPrefs.review.frequencyCap_other": "{count} contatos já receberam tantas mensagens de campanha quanto o limite de frequência permite e serão pulados.",
    "capPrefs.review.marketingStopped_one": "{count} contato parou de receber mensagens de marketing no WhatsApp e será pulado.",
    "capPrefs.review.marketingStopped_other": "{count} contatos pararam de receber mensagens de marketing no WhatsApp e serão pulados.",
    "capPrefs.review.everyoneSkipped":
      "Todos os contatos deste público seriam pulados, então ninguém receberia esta campanha. Mude o público ou o conteúdo, ou salve como rascunho.",

    "capPrefs.reason.outside_service_window": "Não escreveu nas últimas 24 horas",
    "capPrefs.reason.marketing_stopped": "Parou as mensagens de marketing no WhatsApp",
    "capPrefs.reason.frequency_cap": "Acima do limite de frequência",

    "capPrefs.contact.stoppedOn": "Parou o marketing em {date}",

    "capPrefs.sandbox.stop": "Parar marketing",
    "capPrefs.sandbox.resume": "Retomar marketing",
    "capPrefs.sandbox.stopped": "{name} parou as mensagens de marketing deste número.",
    "capPrefs.sandbox.resumed": "{name} retomou as mensagens de marketing deste número.",
    "capPrefs.sandbox.badge": "Parou o marketing",
  },
);
