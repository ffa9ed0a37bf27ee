import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { api, fieldErrors, messageOf } from "../../api";
import { FormError } from "../../components/form-error";
import { useAudiencePreview } from "../../hooks/use-audience-preview";
import { useTitle } from "../../hooks/use-title";
import { t } from "../../i18n";
import { labels, loadLabels } from "../../state/labels";
import { noticeSessionEnd, session } from "../../state/session";
import type { CampaignDetail, Inbox } from "../../types";
import { ContentStep } from "./content-step";
import { audienceToCount, bodyOf, type Draft, draftFrom, type Errors, emptyDraft, retargetDraft, STEPS, type Step, stepLabel, stepOfPath } from "./model";
import { ReviewStep } from "./review-step";
import { windowErrors } from "./send-window-fields";
import { AudienceStep, InboxStep, SettingsStep, TitleStep, TypeStep, WhenStep } from "./steps";

/** Inboxes a campaign can send from: the sandbox, or a Cloud API number with its credentials. */
export const connected = (inbox: Inbox) => inbox.provider === "sandbox" || (inbox.has_access_token && inbox.has_app_secret);

export type EditorData = {
  inboxes: Inbox[] | null;
  attributeKeys: string[];
};

/** Checks the editor can make before asking the server; the server's own checks come back the same way. */
function checkStep(step: Step, d: Draft): Errors {
  const e: Errors = {};
  if (step === "title" && !d.title.trim()) e.title = t("campaigns.error.title");
  if (step === "inbox" && d.inbox_id === null) e.inbox_id = t("campaigns.error.inbox");
  if (step === "audience") {
    if (d.retarget?.campaign_id === null) e["audience.from_campaign.campaign_id"] = t("retarget.error.campaign");
    if (d.retarget?.states.length === 0) e["audience.from_campaign.states"] = t("retarget.error.states");
    if (!d.retarget && d.audience.labels.length === 0) e["audience.labels"] = t("campaigns.error.labels");
  }
  if (step === "content") {
    if (d.contentType === "template" && !d.template) e["content.template_name"] = t("campaigns.error.template");
    if (d.contentType === "text") d.variants.forEach((v, i) => !v.trim() && (e[`content.variants.${i}`] = t("campaigns.error.variant")));
  }
  if (step === "settings") {
    const s = d.settings;
    for (const key of ["min_delay_s", "max_delay_s", "batch_size", "batch_pause_s", "failure_threshold", "failure_window"] as const) {
      if (!Number.isFinite(s[key])) e[`settings.${key}`] = t("campaigns.error.number");
    }
    if (!e["settings.max_delay_s"] && s.min_delay_s > s.max_delay_s) e["settings.max_delay_s"] = t("campaigns.error.maxDelay");
    Object.assign(e, windowErrors(s.send_window));
  }
  if (step === "when" && d.when === "schedule") {
    if (!d.schedule.date) e["schedule.date"] = t("campaigns.error.date");
    if (!d.schedule.time) e["schedule.time"] = t("campaigns.error.time");
  }
  return e;
}

/** The error path a draft field's errors start with. */
const PATH_OF: Record<keyof Draft, string | null> = {
  id: null,
  title: "title",
  inbox_id: "inbox_id",
  audience: "audience",
  retarget: "audience",
  contentType: "content",
  template: "content",
  values: "content",
  variants: "content",
  settings: "settings",
  when: "schedule",
  schedule: "schedule",
};

/** Errors of a failed save, keyed by field path; what names no field is kept under "". */
function errorsOf(error: unknown): Errors {
  const byPath = fieldErrors(error);
  if (Object.keys(byPath).length) {
    // The schedule's time is one API field but two inputs.
    if (byPath["schedule.at"]) byPath["schedule.date"] = byPath["schedule.at"];
    return byPath;
  }
  return { "": messageOf(error) };
}

/**
 * Create a campaign, or edit a draft, one question at a time: type, title, inbox, audience,
 * content, send settings, when, then review, test and confirm.
 */
export function CampaignEditorPage() {
  const { params, query } = useRoute();
  const { route } = useLocation();
  const editingId = params.id ? Number(params.id) : null;
  // /campaigns/new?retarget=ID: a new campaign to the results of campaign ID.
  const retargetId = !editingId && /^\d+$/.test(query.retarget ?? "") ? Number(query.retarget) : null;
  const [draft, setDraft] = useState<Draft | null>(editingId || retargetId ? null : emptyDraft());
  const [step, setStep] = useState<Step>(editingId ? "title" : "type");
  const [errors, setErrors] = useState<Errors>({});
  const [loadError, setLoadError] = useState<string | null>(null);
  const [data, setData] = useState<EditorData>({ inboxes: null, attributeKeys: [] });
  const [saving, setSaving] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  useTitle(editingId ? t("campaigns.edit") : t("campaigns.create"));

  useEffect(() => {
    void loadLabels();
    Promise.all([api.get<{ data: Inbox[] }>("/api/inboxes"), api.get<{ data: string[] }>("/api/contacts/attributes")])
      .then(([inboxes, attributes]) => setData({ inboxes: inboxes.data, attributeKeys: attributes.data }))
      .catch((e) => {
        noticeSessionEnd(e);
        setLoadError(messageOf(e));
      });
  }, []);

  useEffect(() => {
    if (!retargetId) return;
    api
      .get<CampaignDetail>(`/api/campaigns/${retargetId}`)
      .then((c) => setDraft(retargetDraft(c)))
      .catch((e) => {
        noticeSessionEnd(e);
        setLoadError(messageOf(e));
      });
  }, [retargetId]);

  useEffect(() => {
    if (!editingId) return;
    api
      .get<CampaignDetail>(`/api/campaigns/${editingId}`)
      .then((c) => {
        if (!c.actions.includes("edit")) {
          route(`/campaigns/${c.id}`, true);
          return;
        }
        setDraft(draftFrom(c));
      })
      .catch((e) => {
        noticeSessionEnd(e);
        setLoadError(messageOf(e));
      });
  }, [editingId]);

  // A new step: its heading takes the focus, so keyboard and screen reader users start there.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  const preview = useAudiencePreview(draft ? audienceToCount(draft) : null);

  if (loadError) {
    return (
      <>
        <h1>{editingId ? t("campaigns.edit") : t("campaigns.create")}</h1>
        <FormError message={t("campaigns.editorFailed", { message: loadError })} />
        <a href="/campaigns">{t("campaigns.backToList")}</a>
      </>
    );
  }
  if (!draft) return <p class="muted">{t("campaigns.loadingDraft")}</p>;

  const update = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d!, ...patch }));
    // An edited field's error is no longer true.
    const stale = Object.keys(patch).map((k) => PATH_OF[k as keyof Draft]);
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([path]) => !stale.some((p) => p && (path === p || path.startsWith(`${p}.`))))));
  };

  const index = STEPS.indexOf(step);
  const goTo = (s: Step) => {
    setErrors({});
    setStep(s);
  };

  /** Shows a refusal's errors next to their fields, on the step of the first one. */
  const showErrors = (e: unknown) => {
    noticeSessionEnd(e);
    const found = errorsOf(e);
    const first = Object.keys(found).find((p) => p !== "");
    setErrors(found);
    if (first) setStep(stepOfPath(first));
  };

  /** Saves the draft (creating it the first time); on refusal, shows the errors at their step. */
  const save = async (): Promise<CampaignDetail | null> => {
    setSaving(true);
    try {
      const body = bodyOf(draft);
      const saved =
        draft.id === null ? await api.post<CampaignDetail>("/api/campaigns", body) : await api.patch<CampaignDetail>(`/api/campaigns/${draft.id}`, body);
      setDraft((d) => ({ ...d!, id: saved.id }));
      return saved;
    } catch (e) {
      showErrors(e);
      return null;
    } finally {
      setSaving(false);
    }
  };

  const next = async () => {
    const found = checkStep(step, draft);
    if (Object.keys(found).length) {
      setErrors(found);
      return;
    }
    setErrors({});
    const following = STEPS[index + 1]!;
    if (following === "review") {
      // Review shows what the server will do, so the draft is saved first.
      if (await save()) setStep("review");
      return;
    }
    setStep(following);
  };

  const isAdmin = session.value?.user.role === "admin";
  const stepProps = { draft, update, errors, data, preview, isAdmin };

  return (
    <div class="editor">
      <p class="breadcrumb">
        <a href="/campaigns">{t("common.nav.campaigns")}</a>
      </p>
      <h1>{editingId || draft.id ? t("campaigns.edit") : t("campaigns.create")}</h1>
      <nav aria-label={t("campaigns.steps")} class="stepper">
        <ol>
          {STEPS.map((s, i) => (
            <li key={s} aria-current={s === step ? "step" : undefined} class={i < index ? "done" : ""}>
              {i < index ? (
                <button type="button" class="button-link" onClick={() => goTo(s)}>
                  {stepLabel(s)}
                </button>
              ) : (
                <span>{stepLabel(s)}</span>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <form
        class="editor-step"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (step !== "review") void next();
        }}
      >
        <h2 ref={heading} tabIndex={-1} class="step-heading">
          <span class="muted">{t("campaigns.stepOf", { n: index + 1, total: STEPS.length })}</span> {stepLabel(step)}
        </h2>
        {errors[""] && <FormError message={errors[""]} />}
        {step === "type" && <TypeStep />}
        {step === "title" && <TitleStep {...stepProps} />}
        {step === "inbox" && <InboxStep {...stepProps} />}
        {step === "audience" && <AudienceStep {...stepProps} labels={labels.value.items} />}
        {step === "content" && <ContentStep {...stepProps} />}
        {step === "settings" && <SettingsStep {...stepProps} />}
        {step === "when" && <WhenStep {...stepProps} />}
        {step === "review" && (
          <ReviewStep {...stepProps} labels={labels.value.items} goTo={goTo} showErrors={showErrors} onDone={(id) => route(`/campaigns/${id}`)} />
        )}
        {step !== "review" && (
          <div class="step-actions">
            {index > 0 && (
              <button type="button" class="button-secondary" onClick={() => goTo(STEPS[index - 1]!)}>
                {t("common.back")}
              </button>
            )}
            <button type="submit" disabled={saving}>
              {saving ? t("common.saving") : STEPS[index + 1] === "review" ? t("campaigns.saveAndReview") : t("common.continue")}
            </button>
          </div>
        )}
      </form>
    </div>
  );
}
