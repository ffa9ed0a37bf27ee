import { t } from "../i18n";
import { useTitle } from "../hooks/use-title";

/** Not built yet. */
export function ContactsImportPage() {
  useTitle("");
  return <p class="muted">{t("common.comingSoon")}</p>;
}
