import { useTitle } from "../hooks/use-title";
import { type MessageKey, t } from "../i18n";
import { session } from "../state/session";

const SECTIONS: { href: string; title: MessageKey; text: MessageKey }[] = [
  { href: "/campaigns", title: "common.nav.campaigns", text: "auth.home.campaigns" },
  { href: "/contacts", title: "common.nav.contacts", text: "auth.home.contacts" },
  { href: "/labels", title: "common.nav.labels", text: "auth.home.labels" },
  { href: "/inboxes", title: "common.nav.inboxes", text: "auth.home.inboxes" },
];

export function HomePage() {
  useTitle(t("auth.homeTitle"));
  const current = session.value;
  return (
    <>
      <h1>{current ? t("auth.welcomeName", { name: current.user.name }) : t("auth.welcome")}</h1>
      <p class="muted">{t("auth.homeIntro", { workspace: current?.workspace.name ?? "" })}</p>
      <ul class="cards">
        {SECTIONS.map((s) => (
          <li key={s.href} class="card">
            <h2>
              <a href={s.href}>{t(s.title)}</a>
            </h2>
            <p>{t(s.text)}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
