import { useEffect, useState } from "preact/hooks";
import { api, messageOf } from "../api";
import { noticeSessionEnd } from "../state/session";
import type { AudiencePreview, AudienceSelection } from "../types";

export type AudiencePreviewState = { preview: AudiencePreview | null; loading: boolean; error: string | null };

/** The live size and sample of an audience (POST /api/audience/preview), refreshed as it changes; nothing is asked while it is null. */
export function useAudiencePreview(audience: AudienceSelection | null): AudiencePreviewState {
  const [state, setState] = useState<AudiencePreviewState>({ preview: null, loading: false, error: null });
  const key = JSON.stringify(audience);
  useEffect(() => {
    if (audience === null) {
      setState({ preview: null, loading: false, error: null });
      return;
    }
    let stale = false;
    setState((s) => ({ ...s, loading: true, error: null }));
    const timer = setTimeout(() => {
      api
        .post<AudiencePreview>("/api/audience/preview", audience)
        .then((preview) => !stale && setState({ preview, loading: false, error: null }))
        .catch((e) => {
          noticeSessionEnd(e);
          if (!stale) setState({ preview: null, loading: false, error: messageOf(e) });
        });
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [key]);
  return state;
}
