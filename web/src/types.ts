/** Shapes the API answers with (see /api/openapi.json). */

export type Role = "admin" | "operator";

export type User = { id: number; email: string; name: string; role: Role };

export type Workspace = { id: number; name: string; default_country: string };

export type Session = { user: User; workspace: Workspace };

export type Label = { id: number; name: string; color: string; contact_count: number };
