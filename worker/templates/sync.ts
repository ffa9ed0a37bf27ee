import { and, eq, lt } from "drizzle-orm";
import { batchAll, chunk, type Db, nowSeconds } from "../db/client";
import { type Inbox, type Template, templates } from "../db/schema";
import { type MetaTemplate, parameterFormat, type TemplateSnapshot, type TemplateVariable, templateVariables } from "../domain/templates";
import { ApiError } from "../lib/errors";
import { providerFor } from "../provider";
import { toProviderErrorView } from "../views/provider-error";

/** Pages followed at most in one template sync (100 templates a page). */
const MAX_TEMPLATE_PAGES = 50;

/** Stores a page of Meta's templates for an inbox and answers which rows it touched. */
async function storeTemplates(db: Db, inbox: Inbox, page: MetaTemplate[], syncedAt: number) {
  for (const part of chunk(page, 10)) {
    await batchAll(
      db,
      part.map((t) => {
        const values = {
          workspaceId: inbox.workspaceId,
          inboxId: inbox.id,
          metaId: String(t.id),
          name: t.name,
          language: t.language,
          status: String(t.status),
          category: String(t.category ?? ""),
          parameterFormat: parameterFormat(t),
          components: JSON.stringify(t.components ?? []),
          variables: JSON.stringify(templateVariables(t)),
          syncedAt,
        };
        return db
          .insert(templates)
          .values(values)
          .onConflictDoUpdate({
            target: [templates.inboxId, templates.name, templates.language],
            set: { ...values, updatedAt: syncedAt },
          });
      }),
    );
  }
}

/**
 * Pulls every page of an inbox's templates from its provider into D1; templates the account no
 * longer lists are removed (Meta deleted them).
 */
export async function syncTemplates(env: Env, db: Db, inbox: Inbox, ctx: Pick<ExecutionContext, "waitUntil">): Promise<{ synced: number; removed: number }> {
  const provider = await providerFor(env, inbox, ctx);
  const syncedAt = nowSeconds();
  let synced = 0;
  let next: string | undefined;
  for (let pageNo = 0; pageNo < MAX_TEMPLATE_PAGES; pageNo++) {
    const page = await provider.listTemplates(next);
    if (!page.ok) {
      throw new ApiError("provider_unavailable", `could not list templates: ${page.error.message}`, toProviderErrorView(page.error));
    }
    await storeTemplates(db, inbox, page.value.templates, syncedAt);
    synced += page.value.templates.length;
    next = page.value.next;
    if (!next) break;
  }
  if (next) throw new ApiError("provider_unavailable", `the account lists more than ${MAX_TEMPLATE_PAGES} pages of templates`);
  const removed = await db
    .delete(templates)
    .where(and(eq(templates.inboxId, inbox.id), lt(templates.syncedAt, syncedAt)))
    .returning({ id: templates.id });
  return { synced, removed: removed.length };
}

/** A stored template row as the provider needs it. */
export function templateSnapshot(t: Template): TemplateSnapshot {
  return {
    name: t.name,
    language: t.language,
    parameterFormat: t.parameterFormat,
    variables: JSON.parse(t.variables) as TemplateVariable[],
    components: JSON.parse(t.components) as MetaTemplate["components"],
  };
}
