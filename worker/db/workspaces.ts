import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { workspaces } from "./schema";

/** The country a workspace reads phone numbers written without a country code in (ISO alpha-2). */
export async function workspaceCountry(db: Db, workspaceId: number): Promise<string> {
  const row = await db.select({ country: workspaces.defaultCountry }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  return row?.country ?? "BR";
}
