import { useEffect, useRef, useState } from "preact/hooks";

/**
 * A number that goes up when `changed` changes, at most once every `everyMs` (a change within
 * that time is taken at its end): put it in an effect's dependencies to fetch again as a live
 * campaign's progress moves, without a request per progress message.
 */
export function useRefreshVersion(changed: unknown, everyMs: number): number {
  const [version, setVersion] = useState(0);
  const last = useRef(Date.now());
  useEffect(() => {
    const timer = setTimeout(
      () => {
        last.current = Date.now();
        setVersion((v) => v + 1);
      },
      Math.max(0, last.current + everyMs - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [changed, everyMs]);
  return version;
}
