import type { ComponentChildren } from "preact";
import { LanguageSwitcher } from "./language-switcher";

/** The centred card the signed-out pages (setup, sign-in) sit in. */
export function AuthLayout({ title, intro, children }: { title: string; intro?: string; children: ComponentChildren }) {
  return (
    <main id="main" class="auth">
      <div class="auth-card">
        <p class="brand-mark" aria-hidden="true">
          Herald
        </p>
        <h1>{title}</h1>
        {intro && <p class="muted">{intro}</p>}
        {children}
        <LanguageSwitcher />
      </div>
    </main>
  );
}
