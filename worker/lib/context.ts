import type { Db } from "../db/client";

export type Role = "admin" | "operator";

/** Who is calling: resolved from the session cookie or an API token. */
export type Principal = {
  userId: number;
  workspaceId: number;
  role: Role;
  email: string;
  name: string;
  via: "session" | "token";
  /** The API token the request carries (null for a session). */
  tokenId: number | null;
};

export type AppEnv = {
  Bindings: Env;
  Variables: { db: Db; principal: Principal };
};
