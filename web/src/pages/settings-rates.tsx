import type { TargetedSubmitEvent } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, fieldErrors, messageOf, request } from "../api";
import { SelectField } from "../components/controls";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
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
    <div class="table-scroll" tabIndex={0} role="region" aria-label={t("cost.rates.listLabel")}>
      <table class="table" data-rate-overrides>
        <thead>
          <tr>
            <th scope="col">{t("cost.col.country")}</th>
            <th scope="col">{t("cost.col.category")}</th>
            <th scope="col" class="num">
              {t("cost.rates.yours")}
            </th>
            <th scope="col" class="num">
              {t("cost.rates.card")}
            </th>
            {isAdmin && (
              <th scope="col">
                <span class="visually-hidden">{t("cost.rates.actions")}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {card.overrides.map((o) => {
            const what = `${countryName(o.country)}, ${categoryName(o.category)}`;
            return (
              <tr key={`${o.country}:${o.category}`} data-override={`${o.country}:${o.category}`}>
                <td>{countryName(o.country)}</td>
                <td>{categoryName(o.category)}</td>
                <td class="num">{formatMoney(o.rate)}</td>
                <td class="num">{formatMoney(o.card_rate)}</td>
                {isAdmin && (
                  <td>
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
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** WhatsApp's rates in force for the workspace, and (admins) its own rates per country and category. */
export function RatesSection({ isAdmin }: { isAdmin: boolean }) {
  const [card, setCard] = useState<RateCard | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [form, setForm] = useState<Form>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const load = () =>
    api.get<RateCard>("/api/rates").then(setCard, (e) => {
      noticeSessionEnd(e);
      setLoadError(messageOf(e));
    });
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
  }, [errors]);

  const countries = useMemo(
    () => (card?.countries ?? []).map((c) => ({ value: c.country, label: countryName(c.country) })).sort((a, b) => a.label.localeCompare(b.label)),
    [card],
  );

  const set = (key: keyof Form) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors(({ [key]: _, ...rest }) => rest);
  };

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setStatus("");
    setFormError(null);
    const missing: Errors = {};
    if (!form.country) missing.country = t("cost.rates.countryRequired");
    if (!form.rate.trim()) missing.rate = t("cost.rates.rateRequired");
    if (Object.keys(missing).length) {
      setErrors(missing);
      return;
    }
    setPending(true);
    setErrors({});
    try {
      const saved = await request<RateOverride>("PUT", "/api/rates/overrides", { country: form.country, category: form.category, rate: form.rate.trim() });
      setStatus(t("cost.rates.saved", { country: countryName(saved.country), category: categoryName(saved.category), rate: formatMoney(saved.rate) }));
      setForm((f) => ({ ...f, rate: "" }));
      await load();
    } catch (err) {
      noticeSessionEnd(err);
      const byField = fieldErrors(err) as Errors;
      setErrors(byField);
      if (Object.keys(byField).length === 0) setFormError(messageOf(err));
    } finally {
      setPending(false);
    }
  };

  const edit = (o: RateOverride) => {
    setForm({ country: o.country, category: o.category, rate: o.rate });
    setErrors({});
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
                <button type="submit" disabled={pending}>
                  {pending ? t("common.saving") : t("cost.rates.save")}
                </button>
              </div>
            </form>
          )}
        </>
      )}
    </section>
  );
}
