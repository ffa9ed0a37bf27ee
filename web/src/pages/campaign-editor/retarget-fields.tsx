import { useEffect, useState } from "preact/hooks";
import { RESULT_STATES } from "../../../../worker/domain/campaign-results";
import { api, messageOf } from "../../api";
import { ErrorText, Notice, SelectField } from "../../components/controls";
import { t } from "../../i18n";
import { formatDateTime, formatNumber } from "../../lib/format";
import { noticeSessionEnd } from "../../state/session";
import type { CampaignDetail, ResultCounts } from "../../types";
import type { Errors, RetargetChoice } from "./model";

/** Most launched campaigns the picker lists (newest first). */
const LISTED = 100;

/** The workspace's launched campaigns, newest first; null while loading. */
function useLaunchedCampaigns(): { campaigns: CampaignDetail[] | null; error: string | null } {
  const [state, setState] = useState<{ campaigns: CampaignDetail[] | null; error: string | null }>({ campaigns: null, error: null });
  useEffect(() => {
    api
      .get<{ data: CampaignDetail[] }>(`/api/campaigns?launched=true&limit=${LISTED}`)
      .then(({ data }) => setState({ campaigns: data, error: null }))
      .catch((e) => {
        noticeSessionEnd(e);
        setState({ campaigns: [], error: messageOf(e) });
      });
  }, []);
  return state;
}

/** How many recipients of the campaign are in each result state; null while loading or before a campaign is chosen. */
function useResultCounts(campaignId: number | null): { counts: ResultCounts["counts"] | null; error: string | null } {
  const [state, setState] = useState<{ counts: ResultCounts["counts"] | null; error: string | null }>({ counts: null, error: null });
  useEffect(() => {
    setState({ counts: null, error: null });
    if (campaignId === null) return;
    let stale = false;
    api
      .get<ResultCounts>(`/api/campaigns/${campaignId}/results`)
      .then((r) => !stale && setState({ counts: r.counts, error: null }))
      .catch((e) => {
        noticeSessionEnd(e);
        if (!stale) setState({ counts: null, error: messageOf(e) });
      });
    return () => {
      stale = true;
    };
  }, [campaignId]);
  return state;
}

/** The audience step's choice of an earlier campaign and of the results whose recipients receive this one. */
export function RetargetFields({ choice, onChoice, errors }: { choice: RetargetChoice; onChoice: (c: RetargetChoice) => void; errors: Errors }) {
  const { campaigns, error } = useLaunchedCampaigns();
  const { counts, error: countError } = useResultCounts(choice.campaign_id);
  if (campaigns === null) return <p class="muted">{t("retarget.campaign.loading")}</p>;
  if (error) return <ErrorText id="retarget-campaigns-error" error={t("retarget.campaign.loadFailed", { message: error })} />;
  if (campaigns.length === 0 && choice.campaign_id === null) {
    return (
      <Notice tone="warning" data-notice="no-launched-campaign">
        <p>{t("retarget.campaign.none")}</p>
      </Notice>
    );
  }
  const options = campaigns.map((c) => ({
    value: String(c.id),
    label: t("retarget.campaign.option", { title: c.title, date: formatDateTime(c.launched_at) }),
  }));
  // A campaign chosen before that the list does not show (an older one): still offered as itself.
  if (choice.campaign_id !== null && !campaigns.some((c) => c.id === choice.campaign_id)) {
    options.push({ value: String(choice.campaign_id), label: t("retarget.summary.missing", { id: choice.campaign_id }) });
  }
  const statesError = errors["audience.from_campaign.states"] ?? errors["from_campaign.states"];
  return (
    <>
      <SelectField
        label={t("retarget.campaign.label")}
        name="from_campaign"
        value={choice.campaign_id === null ? "" : String(choice.campaign_id)}
        onValue={(v) => onChoice({ ...choice, campaign_id: v ? Number(v) : null })}
        options={[{ value: "", label: t("retarget.campaign.choose") }, ...options]}
        error={errors["audience.from_campaign.campaign_id"] ?? errors["from_campaign.campaign_id"]}
      />
      <fieldset class="choice-group" aria-describedby={`result-states-hint${statesError ? " result-states-error" : ""}`}>
        <legend>{t("retarget.states.legend")}</legend>
        <p id="result-states-hint" class="hint">
          {t("retarget.states.hint")}
        </p>
        <ErrorText id="result-states-error" error={statesError} />
        <ErrorText id="result-counts-error" error={countError ? t("retarget.states.countFailed", { message: countError }) : undefined} />
        <div class="label-grid">
          {RESULT_STATES.map((state) => (
            <label key={state} class="choice">
              <input
                type="checkbox"
                name="result_states"
                value={state}
                checked={choice.states.includes(state)}
                onChange={(e) =>
                  onChoice({
                    ...choice,
                    states: e.currentTarget.checked
                      ? RESULT_STATES.filter((s) => s === state || choice.states.includes(s))
                      : choice.states.filter((s) => s !== state),
                  })
                }
              />
              <span>
                {t(`retarget.state.${state}`)}{" "}
                {counts && (
                  <span class="muted" data-result-count={state}>
                    ({formatNumber(counts[state])})
                  </span>
                )}
              </span>
            </label>
          ))}
        </div>
      </fieldset>
    </>
  );
}
