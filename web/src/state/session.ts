import { computed, signal } from "@preact/signals";
import { ApiError, api, messageOf } from "../api";
import type { Session } from "../types";

/** Who is using the app: decided once on load by GET /api/auth/me, then by setup, sign-in and sign-out. */
export type AuthState =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "signed-out"; setupRequired: boolean; setupSecretRequired?: boolean }
  | { status: "signed-in"; session: Session };

export const auth = signal<AuthState>({ status: "loading" });

/** The signed-in user and workspace, or null. */
export const session = computed(() => (auth.value.status === "signed-in" ? auth.value.session : null));

export type SetupInput = {
  workspace_name: string;
  name: string;
  email: string;
  password: string;
  default_country: string;
  /** The deployment's SETUP_SECRET, sent when GET /api/auth/setup says it is required. */
  setup_secret?: string;
};

export async function loadAuth(): Promise<void> {
  auth.value = { status: "loading" };
  try {
    const me = await api.get<Session>("/api/auth/me");
    auth.value = { status: "signed-in", session: { user: me.user, workspace: me.workspace, features: me.features } };
    return;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      auth.value = { status: "failed", message: messageOf(e) };
      return;
    }
  }
  try {
    const setup = await api.get<{ setup_required: boolean; setup_secret_required?: boolean }>("/api/auth/setup");
    auth.value = { status: "signed-out", setupRequired: setup.setup_required, setupSecretRequired: setup.setup_secret_required === true };
  } catch (e) {
    auth.value = { status: "failed", message: messageOf(e) };
  }
}

export async function setUp(input: SetupInput): Promise<void> {
  try {
    const created = await api.post<Session>("/api/auth/setup", input);
    auth.value = { status: "signed-in", session: created };
  } catch (e) {
    // Someone else finished setup first: this browser should sign in instead.
    if (e instanceof ApiError && e.code === "already_set_up") auth.value = { status: "signed-out", setupRequired: false };
    throw e;
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  const signedIn = await api.post<Session>("/api/auth/login", { email, password });
  auth.value = { status: "signed-in", session: signedIn };
}

export async function signOut(): Promise<void> {
  await api.post<void>("/api/auth/logout");
  auth.value = { status: "signed-out", setupRequired: false };
}

/**
 * Call with any error from a signed-in request: a 401 means the session ended elsewhere
 * (expired, signed out in another tab), so the app goes back to the sign-in page.
 */
export function noticeSessionEnd(error: unknown): void {
  if (error instanceof ApiError && error.status === 401 && auth.value.status === "signed-in") {
    auth.value = { status: "signed-out", setupRequired: false };
  }
}
