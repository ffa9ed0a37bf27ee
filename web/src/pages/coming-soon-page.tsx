import { useTitle } from "../hooks/use-title";

/** Placeholder for a section that is not built yet. */
export function ComingSoonPage({ title }: { title: string }) {
  useTitle(title);
  return (
    <>
      <h1>{title}</h1>
      <p class="muted">Coming soon.</p>
    </>
  );
}
