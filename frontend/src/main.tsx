import { StrictMode, Suspense, type ComponentType, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import '@xyflow/react/dist/style.css';
// Global styles first: components' own stylesheets (imported by them) come after and refine them.
import './styles/global.css';
import './styles/controls.css';
import { startBoot } from './boot/start';
import { Layout } from './components/Layout';
import { FlowsPage } from './pages/FlowsPage';
import {
  apiKeysPage,
  credentialsPage,
  editorPage,
  knowledgeBasePage,
  knowledgePage,
  runPage,
  teamSettingsPage,
  teamsPage,
} from './pages/lazyPages';
import { MembersPage } from './pages/MembersPage';
import { NotFoundPage } from './pages/NotFoundPage';

const EditorPage = editorPage.Component;
const RunPage = runPage.Component;
const TeamsPage = teamsPage.Component;
const TeamSettingsPage = teamSettingsPage.Component;
const ApiKeysPage = apiKeysPage.Component;
const CredentialsPage = credentialsPage.Component;
const KnowledgePage = knowledgePage.Component;
const KnowledgeBasePage = knowledgeBasePage.Component;

// Requests and the page's code start now; the first render waits for the code.
const pageReady = startBoot(window.location.pathname, { editorPage: editorPage.preload, runPage: runPage.preload });

function Loading({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p className="muted pad">Loading…</p>}>{children}</Suspense>;
}

const loading = (Page: ComponentType) => (
  <Loading>
    <Page />
  </Loading>
);

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <FlowsPage /> },
      {
        path: 'flows/:id',
        element: (
          <Loading>
            <EditorPage />
          </Loading>
        ),
      },
      {
        path: 'runs/:id',
        element: (
          <Loading>
            <RunPage />
          </Loading>
        ),
      },
      { path: 'members', element: <MembersPage /> },
      { path: 'api-keys', element: loading(ApiKeysPage) },
      { path: 'teams', element: loading(TeamsPage) },
      { path: 'teams/:id', element: loading(TeamSettingsPage) },
      { path: 'credentials', element: loading(CredentialsPage) },
      { path: 'knowledge', element: loading(KnowledgePage) },
      { path: 'knowledge/:id', element: loading(KnowledgeBasePage) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

void pageReady.then(() =>
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <RouterProvider router={router} />
    </StrictMode>,
  ),
);
