import { useEffect, useState } from "preact/hooks";
import { RESULT_STATES } from "../../../worker/domain/campaign-results";
import { api } from "../api";
import { locale, t } from "../i18n";
import { noticeSessionEnd } from "../state/session";
import type { AudienceSelection, CampaignDetail } from "../types";

type FromCampaign = NonNullable<AudienceSelection["from_campaign"]>;

/** The chosen results as one phrase in the UI's language, in their usual order: "read but did not reply, or replied". */
export function resultsPhrase(states: FromCampaign["states"]): string {
  const parts = RESULT_STATES.filter((s) => states.includes(s)).map((s) => t(`retarget.who.${s}`));
  return new Intl.ListFormat(locale.value, { type: "disjunction" }).format(parts);
}

/** "Recipients of “<title>” who read but did not reply", the earlier campaign's title read from the API. */
export function RetargetAudience({ from }: { from: FromCampaign }) {
  const [title, setTitle] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    api
      .get<CampaignDetail>(`/api/campaigns/${from.campaign_id}`)
      .then((c) => !stale && setTitle(c.title))
      .catch((e) => {
        noticeSessionEnd(e);
        if (!stale) setTitle(t("retarget.summary.missing", { id: from.campaign_id }));
      });
    return () => {
      stale = true;
    };
  }, [from.campaign_id]);
  return (
    <span data-retarget-audience>
      {t("retarget.summary", { title: title ?? "…", states: resultsPhrase(from.states) })}
      {title !== null && (
        <>
          {" "}
          (<a href={`/campaigns/${from.campaign_id}`}>#{from.campaign_id}</a>)
        </>
      )}
    </span>
  );
}
