import { useEffect } from "preact/hooks";
import { LocationProvider, lazy, Route, Router } from "preact-iso";
import { AppShell } from "./components/app-shell";
import { Redirect } from "./components/redirect";
import { t } from "./i18n";
import { CampaignsPage } from "./pages/campaigns-page";
import { HomePage } from "./pages/home-page";
import { LabelsPage } from "./pages/labels-page";
import { LoginPage } from "./pages/login-page";
import { NotFoundPage } from "./pages/not-found-page";
import { SetupPage } from "./pages/setup-page";
import { auth, loadAuth } from "./state/session";

// The editor and a campaign's page (with its chart library) load when first opened.
const CampaignEditorPage = lazy(() => import("./pages/campaign-editor/editor-page").then((m) => m.CampaignEditorPage));
const CampaignDetailPage = lazy(() => import("./pages/campaign-detail-page").then((m) => m.CampaignDetailPage));
const ContactsPage = lazy(() => import("./pages/contacts-page").then((m) => m.ContactsPage));
const ContactsImportPage = lazy(() => import("./pages/contacts-import-page").then((m) => m.ContactsImportPage));
const InboxesPage = lazy(() => import("./pages/inboxes-page").then((m) => m.InboxesPage));
const InboxTemplatesPage = lazy(() => import("./pages/inbox-templates-page").then((m) => m.InboxTemplatesPage));
const SettingsPage = lazy(() => import("./pages/settings-page").then((m) => m.SettingsPage));
const SandboxPhonePage = lazy(() => import("./pages/sandbox-phone-page").then((m) => m.SandboxPhonePage));

function Loading() {
  return (
    <main id="main" class="auth" aria-busy="true">
      <p class="muted">{t("common.loadingApp")}</p>
    </main>
  );
}

function StartFailed({ message }: { message: string }) {
  return (
    <main id="main" class="auth">
      <div class="auth-card">
        <h1>{t("common.startFailed")}</h1>
        <div class="alert" role="alert">
          {message}
        </div>
        <button type="button" onClick={() => void loadAuth()}>
          {t("common.tryAgain")}
        </button>
      </div>
    </main>
  );
}

/** Picks the routes for who is using the app: nobody yet (setup), signed out, or signed in. */
function Routes() {
  const state = auth.value;
  switch (state.status) {
    case "loading":
      return <Loading />;
    case "failed":
      return <StartFailed message={state.message} />;
    case "signed-out": {
      const entry = state.setupRequired ? "/setup" : "/login";
      return (
        <Router>
          <Route path={entry} component={state.setupRequired ? SetupPage : LoginPage} />
          <Route default component={Redirect} to={entry} />
        </Router>
      );
    }
    case "signed-in":
      return (
        <AppShell>
          <Router>
            <Route path="/" component={HomePage} />
            <Route path="/campaigns" component={CampaignsPage} />
            <Route path="/campaigns/new" component={CampaignEditorPage} />
            <Route path="/campaigns/:id/edit" component={CampaignEditorPage} />
            <Route path="/campaigns/:id" component={CampaignDetailPage} />
            <Route path="/contacts" component={ContactsPage} />
            <Route path="/contacts/import" component={ContactsImportPage} />
            <Route path="/labels" component={LabelsPage} />
            <Route path="/inboxes" component={InboxesPage} />
            <Route path="/inboxes/:id/templates" component={InboxTemplatesPage} />
            <Route path="/settings" component={SettingsPage} />
            <Route path="/sandbox" component={SandboxPhonePage} />
            <Route path="/setup" component={Redirect} to="/" />
            <Route path="/login" component={Redirect} to="/" />
            <Route default component={NotFoundPage} />
          </Router>
        </AppShell>
      );
  }
}

export function App() {
  useEffect(() => {
    void loadAuth();
  }, []);
  return (
    <LocationProvider>
      <Routes />
    </LocationProvider>
  );
}
