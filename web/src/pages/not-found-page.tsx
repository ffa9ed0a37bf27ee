import { useTitle } from "../hooks/use-title";
import { t } from "../i18n";

export function NotFoundPage() {
  useTitle(t("auth.notFoundTitle"));
  return (
    <>
      <h1>{t("auth.notFoundHeading")}</h1>
      <p>
        {t("auth.notFoundText")} <a href="/">{t("auth.goHome")}</a>.
      </p>
    </>
  );
}
