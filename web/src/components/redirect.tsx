import { useLayoutEffect } from "preact/hooks";
import { useLocation } from "preact-iso";

/** Replaces the current history entry with `to` (used as a route component). */
export function Redirect({ to }: { to: string }) {
  const { route } = useLocation();
  useLayoutEffect(() => {
    route(to, true);
  }, [to]);
  return null;
}
