// One module per area of the UI; each exports its messages in both languages.
export { common } from "./common";
export { format } from "./format";
export { auth } from "./auth";
export { campaigns } from "./campaigns";
export { inboxes } from "./inboxes";
export { templates } from "./templates";
export { settings } from "./settings";
export { sandbox } from "./sandbox";
export { contacts } from "./contacts";
export { imports } from "./imports";
export { labels } from "./labels";
export { messages } from "./messages";
