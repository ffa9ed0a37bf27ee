import { effect, signal } from "@preact/signals";
import { api, messageOf } from "../api";
import type { Label } from "../types";
import { noticeSessionEnd, session } from "./session";

export type LabelsState = {
  /** null until the first load finishes. */
  items: Label[] | null;
  loading: boolean;
  error: string | null;
};

const initial: LabelsState = { items: null, loading: false, error: null };

export const labels = signal<LabelsState>(initial);

const byName = (a: Label, b: Label) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });

// Another user's (or no) workspace must never see this one's labels.
let workspaceId: number | null = null;
effect(() => {
  const id = session.value?.workspace.id ?? null;
  if (id !== workspaceId) {
    workspaceId = id;
    labels.value = initial;
  }
});

export async function loadLabels(): Promise<void> {
  labels.value = { ...labels.value, loading: true, error: null };
  try {
    const { data } = await api.get<{ data: Label[] }>("/api/labels");
    labels.value = { items: data, loading: false, error: null };
  } catch (e) {
    noticeSessionEnd(e);
    labels.value = { ...labels.value, loading: false, error: messageOf(e) };
  }
}

/** Creates a label and adds it to the list; throws ApiError (e.g. `conflict` for a duplicate name). */
export async function createLabel(name: string): Promise<Label> {
  try {
    const label = await api.post<Label>("/api/labels", { name });
    const items = labels.value.items;
    if (items) labels.value = { ...labels.value, items: [...items, label].sort(byName) };
    return label;
  } catch (e) {
    noticeSessionEnd(e);
    throw e;
  }
}
