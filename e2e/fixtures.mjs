// What the browser tests share: the first admin, whom e2e/auth.test.mjs sets up through the UI
// and the other files sign in as (setting it up themselves when run alone).
export const admin = {
  workspace: "Acme Store",
  name: "Ada Admin",
  email: "ada@example.com",
  password: "correct horse battery",
};
