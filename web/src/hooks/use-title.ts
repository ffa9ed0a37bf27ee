import { useEffect } from "preact/hooks";

/** Sets the document title for the page being shown, e.g. "Labels · Herald". */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Herald` : "Herald";
  }, [title]);
}
