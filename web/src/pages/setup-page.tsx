import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { fieldErrors, messageOf } from "../api";
import { AuthLayout } from "../components/auth-layout";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { t } from "../i18n";
import { auth, type SetupInput, setUp } from "../state/session";

/** First run: creates the workspace and its admin, who is then signed in. */
export function SetupPage() {
  useTitle(t("auth.setUpTitle"));
  const secretRequired = auth.value.status === "signed-out" && auth.value.setupSecretRequired === true;
  const [form, setForm] = useState<Required<SetupInput>>({
    setup_secret: "",
    workspace_name: "",
    name: "",
    email: "",
    password: "",
    default_country: "BR",
  });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);

  // After the server refuses a field, take the user straight to it.
  useEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>("[aria-invalid=true]")?.focus();
  }, [fields]);

  const set = (key: keyof SetupInput) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    setFields({});
    try {
      const { setup_secret, ...rest } = form;
      await setUp({ ...rest, default_country: form.default_country.trim().toUpperCase(), ...(secretRequired ? { setup_secret } : {}) });
    } catch (err) {
      const byField = fieldErrors(err);
      const marked = Object.keys(byField).some((key) => key in form);
      setError(marked ? t("auth.correctFields") : messageOf(err));
      setFields(byField);
      setPending(false);
    }
  };

  return (
    <AuthLayout title={t("auth.setUpHeading")} intro={t("auth.setUpIntro")}>
      <form class="stack" onSubmit={onSubmit} ref={formRef}>
        <FormError message={error} />
        {secretRequired && (
          <Field
            label={t("auth.setupSecret")}
            type="password"
            hint={t("auth.setupSecretHint")}
            value={form.setup_secret}
            onValue={set("setup_secret")}
            error={fields.setup_secret}
            required
            maxLength={1000}
            autoComplete="off"
          />
        )}
        <Field
          label={t("auth.workspaceName")}
          value={form.workspace_name}
          onValue={set("workspace_name")}
          error={fields.workspace_name}
          required
          maxLength={100}
          autoComplete="organization"
        />
        <Field label={t("auth.yourName")} value={form.name} onValue={set("name")} error={fields.name} required maxLength={100} autoComplete="name" />
        <Field
          label={t("auth.email")}
          type="email"
          value={form.email}
          onValue={set("email")}
          error={fields.email}
          required
          maxLength={254}
          autoComplete="email"
        />
        <Field
          label={t("auth.password")}
          type="password"
          hint={t("auth.passwordHint")}
          value={form.password}
          onValue={set("password")}
          error={fields.password}
          required
          minLength={10}
          maxLength={200}
          autoComplete="new-password"
        />
        <Field
          label={t("auth.defaultCountry")}
          hint={t("auth.defaultCountryHint")}
          value={form.default_country}
          onValue={set("default_country")}
          error={fields.default_country}
          required
          minLength={2}
          maxLength={2}
          pattern="[A-Za-z]{2}"
          autoCapitalize="characters"
          autoComplete="country"
          class="input-short"
        />
        <button type="submit" disabled={pending}>
          {pending ? t("auth.creatingWorkspace") : t("auth.createWorkspace")}
        </button>
      </form>
    </AuthLayout>
  );
}
