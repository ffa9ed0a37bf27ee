import { messages } from "./types";

/** Results by wording variant on a free-text campaign's page: the table and the verdict of the reply-rate test. */
export const variants = messages(
  {
    "variants.heading": "Results by variant",
    "variants.caption": "Recipients, sends, deliveries, reads, replies and failures of each wording variant, with read and reply rates",
    "variants.variant": "Variant",
    "variants.number": "Variant {n}",
    "variants.recipients": "Recipients",
    "variants.readRate": "Read rate",
    "variants.replyRate": "Reply rate",
    "variants.best": "Best reply rate",
    "variants.significant": "significant at {confidence}",
    "variants.rates": "Read rate = read ÷ delivered. Reply rate = replied ÷ delivered.",
    "variants.verdict.best":
      "Variant {n} has the best reply rate, significantly higher than every other variant's at {confidence} confidence (two-proportion z-test; weakest comparison: {p}, against variant {versus}).",
    "variants.verdict.notEnoughData":
      "Not enough data yet to name a winner: each variant needs at least {min} delivered messages, and enough replies to compare.",
    "variants.verdict.noDifference":
      "No winner yet: variant {n} leads, but its reply rate is not significantly higher than every other variant's at {confidence} confidence. The difference could still be chance.",
    "variants.loading": "Loading the results by variant…",
    "variants.loadFailed": "Could not load the results by variant: {message}",
  },
  {
    "variants.heading": "Resultados por variante",
    "variants.caption": "Destinatários, envios, entregas, leituras, respostas e falhas de cada variante do texto, com as taxas de leitura e de resposta",
    "variants.variant": "Variante",
    "variants.number": "Variante {n}",
    "variants.recipients": "Destinatários",
    "variants.readRate": "Taxa de leitura",
    "variants.replyRate": "Taxa de resposta",
    "variants.best": "Melhor taxa de resposta",
    "variants.significant": "significativa a {confidence}",
    "variants.rates": "Taxa de leitura = lidas ÷ entregues. Taxa de resposta = respondidas ÷ entregues.",
    "variants.verdict.best":
      "A variante {n} tem a melhor taxa de resposta, significativamente maior que a de todas as outras variantes com {confidence} de confiança (teste z de duas proporções; comparação mais fraca: {p}, contra a variante {versus}).",
    "variants.verdict.notEnoughData":
      "Ainda não há dados suficientes para apontar uma vencedora: cada variante precisa de pelo menos {min} mensagens entregues, e de respostas suficientes para comparar.",
    "variants.verdict.noDifference":
      "Ainda sem vencedora: a variante {n} está na frente, mas sua taxa de resposta não é significativamente maior que a de todas as outras com {confidence} de confiança. A diferença ainda pode ser acaso.",
    "variants.loading": "Carregando os resultados por variante…",
    "variants.loadFailed": "Não foi possível carregar os resultados por variante: {message}",
  },
);
