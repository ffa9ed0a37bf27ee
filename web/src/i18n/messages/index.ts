// One module per area of the UI; each exports its messages in both languages.
export { common } from "./common";
export { format } from "./format";
export { auth } from "./auth";
export { campaigns } from "./campaigns";
