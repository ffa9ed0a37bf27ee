import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { messageOf } from "../api";
import { type MessageKey, t } from "../i18n";
import { session, signOut } from "../state/session";
import { FormError } from "./form-error";
import { LanguageSwitcher } from "./language-switcher";

/** `sandboxOnly`: shown to admins where the sandbox is on (its controls are admin-only). */
const SECTIONS: { href: string; label: MessageKey; sandboxOnly?: boolean }[] = [
  { href: "/campaigns", label: "common.nav.campaigns" },
  { href: "/contacts", label: "common.nav.contacts" },
  { href: "/labels", label: "common.nav.labels" },
  { href: "/inboxes", label: "common.nav.inboxes" },
  { href: "/settings", label: "common.nav.settings" },
  { href: "/sandbox", label: "common.nav.sandbox", sandboxOnly: true },
];

function NavLink({ href, children }: { href: string; children: ComponentChildren }) {
  const { path } = useLocation();
  const current = path === href || path.startsWith(`${href}/`);
  return (
    <a href={href} aria-current={current ? "page" : undefined}>
      {children}
    </a>
  );
}

/** Header (workspace, account, sign out), main navigation and the page area of the signed-in app. */
export function AppShell({ children }: { children: ComponentChildren }) {
  const current = session.value;
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!current) return null;
  const { user, workspace } = current;

  const onSignOut = async () => {
    setSigningOut(true);
    setError(null);
    try {
      await signOut();
    } catch (e) {
      setError(t("common.signOutFailed", { message: messageOf(e) }));
      setSigningOut(false);
    }
  };

  return (
    <>
      <a class="skip-link" href="#main">
        {t("common.skipToContent")}
      </a>
      <header class="app-header">
        <div class="app-header-row">
          <a class="brand" href="/">
            <span class="brand-mark">Herald</span>
            <span class="workspace-name">{workspace.name}</span>
          </a>
          <div class="account">
            <span class="account-email">{user.email}</span>
            <span class="role-badge">{t(user.role === "admin" ? "common.role.admin" : "common.role.operator")}</span>
            <LanguageSwitcher />
            <button type="button" class="button-secondary" onClick={onSignOut} disabled={signingOut}>
              {signingOut ? t("common.signingOut") : t("common.signOut")}
            </button>
          </div>
        </div>
        <nav class="app-nav" aria-label={t("common.nav.main")}>
          <ul>
            {SECTIONS.filter((s) => !s.sandboxOnly || (current.features?.sandbox && user.role === "admin")).map((s) => (
              <li key={s.href}>
                <NavLink href={s.href}>{t(s.label)}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <div class="page-width">
        <FormError message={error} />
      </div>
      <main id="main" class="page-width page" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
