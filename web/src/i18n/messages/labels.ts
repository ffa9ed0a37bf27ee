import { messages } from "./types";

/** The Labels page. */
export const labels = messages(
  {
    "labels.title": "Labels",
    "labels.intro": "Labels group contacts so campaigns can target them.",
    "labels.new": "New label",
    "labels.name": "Name",
    "labels.create": "Create label",
    "labels.creating": "Creating…",
    "labels.created": "Label “{name}” created.",
    "labels.all": "All labels",
    "labels.loading": "Loading labels…",
    "labels.loadFailed": "Could not load labels: {message}",
    "labels.empty": "No labels yet. Create the first one above.",
    "labels.contacts_one": "{count} contact",
    "labels.contacts_other": "{count} contacts",
    "labels.withLabel": "labelled {name}",
  },
  {
    "labels.title": "Etiquetas",
    "labels.intro": "Etiquetas agrupam contatos para que as campanhas possam segmentá-los.",
    "labels.new": "Nova etiqueta",
    "labels.name": "Nome",
    "labels.create": "Criar etiqueta",
    "labels.creating": "Criando…",
    "labels.created": "Etiqueta “{name}” criada.",
    "labels.all": "Todas as etiquetas",
    "labels.loading": "Carregando etiquetas…",
    "labels.loadFailed": "Não foi possível carregar as etiquetas: {message}",
    "labels.empty": "Nenhuma etiqueta ainda. Crie a primeira acima.",
    "labels.contacts_one": "{count} contato",
    "labels.contacts_other": "{count} contatos",
    "labels.withLabel": "com a etiqueta {name}",
  },
);
