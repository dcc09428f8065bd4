import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { FlowCanvas } from '../components/canvas/FlowCanvas';
import { ConflictDialog } from '../components/editor/ConflictDialog';
import { EditorDrawerPanel, type EditorDrawer } from '../components/editor/EditorDrawer';
import { EditorSide, type SideTab } from '../components/editor/EditorSide';
import { EditorToolbar } from '../components/editor/EditorToolbar';
import { Palette } from '../components/editor/Palette';
import { preloadSchemaForm } from '../components/forms/LazySchemaForm';
import { RunInputsDialog } from '../components/run/RunInputsDialog';
import { ConfirmDialog } from '../components/ui/ConfirmDialog';
import { useEditorKeys } from '../hooks/useEditorKeys';
import { useFlowDocument } from '../hooks/useFlowDocument';
import { useRunLauncher } from '../hooks/useRunLauncher';
import { whenIdle } from '../lib/idle';
import { catalogSettled, useCatalogStore } from '../stores/catalogStore';
import { useGraphStore } from '../stores/graphStore';
import { canRun } from '../stores/sessionStore';
import { runPage } from './lazyPages';
import './canvasPage.css';

export function EditorPage() {
  const { id } = useParams();
  return (
    <ReactFlowProvider key={id}>
      <Editor flowId={Number(id)} />
    </ReactFlowProvider>
  );
}

/**
 * The flow editor: `useFlowDocument` holds the flow (load, save, conflicts, validation),
 * `useRunLauncher` the runs started here; the page lays out the toolbar, palette, canvas
 * and side panel around the drawing in graphStore.
 */
function Editor({ flowId }: { flowId: number }) {
  const [sideTab, setSideTab] = useState<SideTab>('runs');
  const [drawer, setDrawer] = useState<EditorDrawer | null>(null);
  const showProblems = useCallback(() => setSideTab('problems'), []);
  const doc = useFlowDocument({ flowId, onProblems: showProblems });
  const { meta, readOnly, preview, dirty, conflict, blocker } = doc;
  const launcher = useRunLauncher({ flowId: meta?.id ?? null, onProblems: showProblems });
  // Until /api/me/ answers (or if it names no team) let the server decide.
  const runnable = doc.team === null || canRun(doc.team);
  const catalogStatus = useCatalogStore((s) => s.status);
  const canvasRef = useRef<HTMLDivElement>(null);

  useEditorKeys({ readOnly, onSave: () => void doc.save() });

  // The node forms' and the run page's code, once the canvas is up: ready before they are needed.
  const loaded = meta !== null;
  useEffect(() => {
    if (!loaded) return;
    return whenIdle(() => {
      void preloadSchemaForm();
      void runPage.preload().catch(() => undefined);
    });
  }, [loaded]);

  const closeDrawer = () => {
    useGraphStore.getState().exitPreview();
    setDrawer(null);
  };

  const toggleDrawer = (which: EditorDrawer) => {
    if (drawer === which) closeDrawer();
    else {
      // A version or comparison on screen belongs to the versions drawer.
      useGraphStore.getState().exitPreview();
      setDrawer(which);
    }
  };

  if (doc.loadError) {
    return (
      <div className="page page--narrow">
        <p className="error-text" data-testid="load-error">
          {doc.loadError}
        </p>
        <Link to="/">Back to the flows</Link>
      </div>
    );
  }

  return (
    <div className="editor" data-testid="editor" data-flow-id={flowId}>
      <EditorToolbar doc={doc} launcher={launcher} runnable={runnable} drawer={drawer} onToggleDrawer={toggleDrawer} />

      <div className="editor__body">
        {!readOnly && <Palette canvasRef={canvasRef} disabled={readOnly} />}
        <div className="editor__canvas" ref={canvasRef}>
          {/* Nodes take their handles from the catalog: drawn before it, they would all be drawn again. */}
          {meta && catalogSettled(catalogStatus) ? (
            <FlowCanvas key={preview?.key ?? 0} readOnly={readOnly} />
          ) : (
            <p className="muted pad">Loading the flow…</p>
          )}
          {preview && (
            <div className="canvas-banner" data-testid="preview-banner">
              <span>
                {preview.label} · read-only{dirty ? ' · your unsaved draft is kept' : ''}
              </span>
              <button type="button" className="button button--small" onClick={() => useGraphStore.getState().exitPreview()} data-testid="banner-back-to-draft">
                Back to the draft
              </button>
            </div>
          )}
        </div>
        {drawer && meta ? (
          <EditorDrawerPanel which={drawer} doc={doc} flowId={meta.id} onProblems={showProblems} onClose={closeDrawer} />
        ) : (
          <EditorSide flowId={flowId} readOnly={readOnly} formContext={doc.formContext} tab={sideTab} onTab={setSideTab} historyKey={launcher.historyKey}
            onRunFrom={runnable && !preview ? (nodeId, only) => void launcher.runFrom(nodeId, only) : undefined}
          />
        )}
      </div>

      {launcher.showDialog && meta && (
        <RunInputsDialog
          flowId={meta.id}
          nodes={useGraphStore.getState().nodes}
          dirty={dirty}
          onRun={(inputs) => void launcher.run(inputs)}
          onCancel={launcher.closeDialog}
          replay={launcher.replay}
        />
      )}
      {conflict && (
        <ConflictDialog
          conflict={conflict}
          busy={doc.saving}
          onReload={() => void doc.reloadDiscarding()}
          onOverwrite={() => void doc.save(conflict.revision)}
          onCancel={doc.dismissConflict}
        />
      )}
      {blocker.state === 'blocked' && (
        <ConfirmDialog
          title="Leave without saving?"
          confirmLabel="Leave and discard"
          danger
          onConfirm={() => blocker.proceed()}
          onCancel={() => blocker.reset()}
        >
          <p>This flow has unsaved changes. If you leave now they are lost.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
