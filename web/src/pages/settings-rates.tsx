import type { TargetedSubmitEvent } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, messageOf, request } from "../api";
import { SaveButton, SelectField } from "../components/controls";
import { DataTable } from "../components/data-table";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useFormSubmission } from "../hooks/use-form-submission";
import { t } from "../i18n";
import { cardDate, categoryName, countryName, countryWithMarket, formatMoney } from "../lib/cost";
import { noticeSessionEnd } from "../state/session";
import type { RateCard, RateOverride } from "../types";

type Form = { country: string; category: string; rate: string };
type Errors = Partial<Record<keyof Form, string>>;

const EMPTY: Form = { country: "", category: "marketing", rate: "" };

/** WhatsApp's rate for a country and category on the shipped card (its market's), or null. */
function cardRate(card: RateCard, country: string, category: string): string | null {
  const market = card.countries.find((c) => c.country === country)?.market;
  const rates = card.markets.find((m) => m.name === market)?.rates as Record<string, string> | undefined;
  return rates?.[category] ?? null;
}

function OverridesTable({
  card,
  isAdmin,
  onEdit,
  onRemove,
}: {
  card: RateCard;
  isAdmin: boolean;
  onEdit: (o: RateOverride) => void;
  onRemove: (o: RateOverride) => void;
}) {
  if (card.overrides.length === 0) return <p class="muted">{t("cost.rates.none")}</p>;
  return (
    <DataTable
      label={t("cost.rates.listLabel")}
      data="rate-overrides"
      rows={card.overrides}
      rowKey={(o) => `${o.country}:${o.category}`}
      rowData={(o) => ({ override: `${o.country}:${o.category}` })}
      columns={[
        { label: t("cost.col.country"), cell: (o) => countryName(o.country) },
        { label: t("cost.col.category"), cell: (o) => categoryName(o.category) },
        { label: t("cost.rates.yours"), numeric: true, cell: (o) => formatMoney(o.rate) },
        { label: t("cost.rates.card"), numeric: true, cell: (o) => formatMoney(o.card_rate) },
        ...(isAdmin
          ? [{ label: t("cost.rates.actions"), hiddenLabel: true, cell: (o: RateOverride) => <OverrideActions o={o} onEdit={onEdit} onRemove={onRemove} /> }]
          : []),
      ]}
    />
  );
}

function OverrideActions({ o, onEdit, onRemove }: { o: RateOverride; onEdit: (o: RateOverride) => void; onRemove: (o: RateOverride) => void }) {
  const what = `${countryName(o.country)}, ${categoryName(o.category)}`;
  return (
    <div class="button-row">
      <button type="button" class="button-secondary" onClick={() => onEdit(o)}>
        {t("cost.rates.edit")}
        <span class="visually-hidden"> {what}</span>
      </button>
      <button type="button" class="button-danger" onClick={() => onRemove(o)}>
        {t("cost.rates.remove")}
        <span class="visually-hidden"> {what}</span>
      </button>
    </div>
  );
}

/** WhatsApp's rates in force for the workspace, and (admins) its own rates per country and category. */
export function RatesSection({ isAdmin }: { isAdmin: boolean }) {
  const [card, setCard] = useState<RateCard | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [form, setForm] = useState<Form>(EMPTY);
  const { errors, formError, setFormError, status, setStatus, pending, formRef, refuse, clearErrors, submit } = useFormSubmission();

  const load = () =>
    api.get<RateCard>("/api/rates").then(setCard, (e) => {
      noticeSessionEnd(e);
      setLoadError(messageOf(e));
    });
  useEffect(() => {
    void load();
  }, []);

  const countries = useMemo(
    () => (card?.countries ?? []).map((c) => ({ value: c.country, label: countryName(c.country) })).sort((a, b) => a.label.localeCompare(b.label)),
    [card],
  );

  const set = (key: keyof Form) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    clearErrors(key);
  };

  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const missing: Errors = {};
    if (!form.country) missing.country = t("cost.rates.countryRequired");
    if (!form.rate.trim()) missing.rate = t("cost.rates.rateRequired");
    if (Object.keys(missing).length) return refuse(missing);
    return submit(async () => {
      const saved = await request<RateOverride>("PUT", "/api/rates/overrides", { country: form.country, category: form.category, rate: form.rate.trim() });
      setForm((f) => ({ ...f, rate: "" }));
      await load();
      return t("cost.rates.saved", { country: countryName(saved.country), category: categoryName(saved.category), rate: formatMoney(saved.rate) });
    });
  };

  const edit = (o: RateOverride) => {
    setForm({ country: o.country, category: o.category, rate: o.rate });
    clearErrors("country", "category", "rate");
    setStatus("");
    formRef.current?.querySelector<HTMLInputElement>("input[name=rate]")?.focus();
  };

  const remove = async (o: RateOverride) => {
    const country = countryName(o.country);
    const category = categoryName(o.category);
    if (!window.confirm(t("cost.rates.confirmRemove", { country, category }))) return;
    setStatus("");
    setFormError(null);
    try {
      await api.delete(`/api/rates/overrides?${new URLSearchParams({ country: o.country, category: o.category })}`);
      setStatus(t("cost.rates.removed", { country, category }));
      await load();
    } catch (err) {
      noticeSessionEnd(err);
      setFormError(t("cost.rates.removeFailed", { message: messageOf(err) }));
    }
  };

  const shipped = card && form.country ? cardRate(card, form.country, form.category) : null;
  const market = card?.countries.find((c) => c.country === form.country)?.market ?? null;

  return (
    <section class="panel" aria-labelledby="rates-heading" data-section="rates">
      <h2 id="rates-heading">{t("cost.rates.heading")}</h2>
      {loadError && <FormError message={t("settings.loadFailed", { message: loadError })} />}
      {!card ? (
        !loadError && <p class="muted">{t("common.loading")}</p>
      ) : (
        <>
          <p class="muted" title={card.source}>
            {t("cost.rates.intro", { date: cardDate(card.effective_date) })}
          </p>
          {!isAdmin && <p class="muted">{t("cost.rates.adminsOnly")}</p>}
          <OverridesTable card={card} isAdmin={isAdmin} onEdit={edit} onRemove={(o) => void remove(o)} />
          <p class="status" role="status">
            {status}
          </p>
          {isAdmin && (
            <form class="stack settings-form" onSubmit={onSubmit} ref={formRef} noValidate aria-labelledby="rate-form-heading">
              <h3 id="rate-form-heading">{t("cost.rates.formHeading")}</h3>
              <FormError message={formError} />
              <div class="field-row">
                <SelectField
                  label={t("cost.rates.country")}
                  value={form.country}
                  onValue={set("country")}
                  options={[{ value: "", label: t("cost.rates.chooseCountry") }, ...countries]}
                  error={errors.country}
                  name="country"
                />
                <SelectField
                  label={t("cost.rates.category")}
                  value={form.category}
                  onValue={set("category")}
                  options={card.categories.map((c) => ({ value: c, label: categoryName(c) }))}
                  error={errors.category}
                  name="category"
                />
              </div>
              <Field
                label={t("cost.rates.rate")}
                hint={t("cost.rates.rateHint")}
                value={form.rate}
                onValue={set("rate")}
                error={errors.rate}
                name="rate"
                inputMode="decimal"
                autoComplete="off"
                class="input-short"
              />
              {shipped && (
                <p class="hint" data-card-rate>
                  {t("cost.rates.cardRate", { country: countryWithMarket(form.country, market), rate: formatMoney(shipped) })}
                </p>
              )}
              <div>
                <SaveButton pending={pending} label={t("cost.rates.save")} />
              </div>
            </form>
          )}
        </>
      )}
    </section>
  );
}
