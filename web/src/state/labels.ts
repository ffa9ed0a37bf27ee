import { api, messageOf } from "../api";
import type { Label } from "../types";
import { noticeSessionEnd } from "./session";
import { type ListState, workspaceStore } from "./workspace-store";

export type LabelsState = ListState<Label>;

export const labels = workspaceStore<LabelsState>({ items: null, loading: false, error: null });

const byName = (a: Label, b: Label) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });

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
