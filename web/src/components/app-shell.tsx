import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { messageOf } from "../api";
import { session, signOut } from "../state/session";
import { FormError } from "./form-error";

const SECTIONS = [
  { href: "/campaigns", label: "Campaigns" },
  { href: "/contacts", label: "Contacts" },
  { href: "/labels", label: "Labels" },
  { href: "/inboxes", label: "Inboxes" },
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
      setError(`Could not sign out: ${messageOf(e)}`);
      setSigningOut(false);
    }
  };

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <div class="app-header-row">
          <a class="brand" href="/">
            <span class="brand-mark">Herald</span>
            <span class="workspace-name">
              {workspace.name}
            </span>
          </a>
          <div class="account">
            <span class="account-email">
              {user.email}
            </span>
            <span class="role-badge">
              {user.role}
            </span>
            <button type="button" class="button-secondary" onClick={onSignOut} disabled={signingOut}>
              {signingOut ? "Signing out…" : "Sign out"}
            </button>
          </div>
        </div>
        <nav class="app-nav" aria-label="Main">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.href}>
                <NavLink href={s.href}>{s.label}</NavLink>
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
