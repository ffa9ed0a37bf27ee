import type { ComponentChildren } from "preact";

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
      </div>
    </main>
  );
}
