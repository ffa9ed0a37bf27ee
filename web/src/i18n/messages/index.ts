// One module per area of the UI; each exports its messages in both languages.

export { audit } from "./audit";
export { auth } from "./auth";
export { campaigns } from "./campaigns";
export { capPrefs } from "./cap-prefs";
export { common } from "./common";
export { contacts } from "./contacts";
export { cost } from "./cost";
export { format } from "./format";
export { imports } from "./imports";
export { inboxes } from "./inboxes";
export { labels } from "./labels";
export { messages } from "./messages";
export { retarget } from "./retarget";
export { sandbox } from "./sandbox";
export { sendWindow } from "./send-window";
export { settings } from "./settings";
export { templates } from "./templates";
export { variants } from "./variants";
