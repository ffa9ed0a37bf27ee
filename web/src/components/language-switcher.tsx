import { useId } from "preact/hooks";
import { LOCALES, type Locale, locale, setLocale, t } from "../i18n";

const LANGUAGE_NAME: Record<Locale, string> = { en: "English", "pt-BR": "Português (Brasil)" };

/** The UI's language, switchable anywhere and remembered in this browser. */
export function LanguageSwitcher() {
  const id = useId();
  return (
    <div class="language">
      <label for={id}>{t("common.language")}</label>
      <select id={id} value={locale.value} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANGUAGE_NAME[l]}
          </option>
        ))}
      </select>
    </div>
  );
}
