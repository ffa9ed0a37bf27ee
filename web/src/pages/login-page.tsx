import type { TargetedSubmitEvent } from "preact";
import { useRef, useState } from "preact/hooks";
import { ApiError, messageOf } from "../api";
import { AuthLayout } from "../components/auth-layout";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { t } from "../i18n";
import { signIn } from "../state/session";

export function LoginPage() {
  useTitle(t("auth.signIn"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (err) {
      setError(messageOf(err));
      setPending(false);
      if (err instanceof ApiError && err.status === 401) {
        setPassword("");
        formRef.current?.querySelector<HTMLInputElement>("input[type=password]")?.focus();
      }
    }
  };

  return (
    <AuthLayout title={t("auth.signIn")} intro={t("auth.signInIntro")}>
      <form class="stack" onSubmit={onSubmit} ref={formRef}>
        <FormError message={error} />
        <Field label={t("auth.email")} type="email" value={email} onValue={setEmail} required autoComplete="username" />
        <Field label={t("auth.password")} type="password" value={password} onValue={setPassword} required autoComplete="current-password" />
        <button type="submit" disabled={pending}>
          {pending ? t("auth.signingIn") : t("auth.signIn")}
        </button>
      </form>
    </AuthLayout>
  );
}
