import { effect, type Signal, signal } from "@preact/signals";
import { session } from "./session";

/** The shape every list the web app keeps for a workspace shares. */
export type ListState<T> = {
  /** null until the first load finishes. */
  items: T[] | null;
  loading: boolean;
  error: string | null;
};

/**
 * A signal holding one workspace's data, back to `initial` whenever the signed-in workspace
 * changes: another user's (or no) workspace never sees it.
 * @example export const labels = workspaceStore<ListState<Label>>({ items: null, loading: false, error: null });
 */
export function workspaceStore<S>(initial: S): Signal<S> {
  const store = signal<S>(initial);
  let workspaceId: number | null = null;
  effect(() => {
    const id = session.value?.workspace.id ?? null;
    if (id !== workspaceId) {
      workspaceId = id;
      store.value = initial;
    }
  });
  return store;
}
