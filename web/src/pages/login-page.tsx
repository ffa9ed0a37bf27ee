import type { TargetedSubmitEvent } from "preact";
import { useRef, useState } from "preact/hooks";
import { ApiError, messageOf } from "../api";
import { AuthLayout } from "../components/auth-layout";
import { Field } from "../components/field";
import { FormError } from "../components/form-error";
import { useTitle } from "../hooks/use-title";
import { signIn } from "../state/session";

export function LoginPage() {
  useTitle("Sign in");
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
    <AuthLayout title="Sign in" intro="Sign in to your Herald workspace.">
      <form class="stack" onSubmit={onSubmit} ref={formRef}>
        <FormError message={error} />
        <Field label="Email" type="email" value={email} onValue={setEmail} required autoComplete="username" />
        <Field label="Password" type="password" value={password} onValue={setPassword} required autoComplete="current-password" />
        <button type="submit" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthLayout>
  );
}
