import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useBlocker, useParams } from 'react-router';
import { ApiError, describeError } from '../api/client';
import { earlyKeys, takeEarly } from '../api/early';
import { getFlow } from '../api/flows/getFlow';
import { patchFlow } from '../api/flows/patchFlow';
import { saveFlow } from '../api/flows/saveFlow';
import { validateFlow } from '../api/flows/validateFlow';
import { cancelRun } from '../api/runs/cancelRun';
import { startRun } from '../api/runs/startRun';
import type { Flow, GraphProblem } from '../api/types';
import { FlowCanvas } from '../components/canvas/FlowCanvas';
import { ConflictDialog, type Conflict } from '../components/editor/ConflictDialog';
import { NodePanel } from '../components/editor/NodePanel';
import { Palette } from '../components/editor/Palette';
import { ProblemsList } from '../components/editor/ProblemsList';
import { RunHistory } from '../components/editor/RunHistory';
import { TriggersPanel } from '../components/editor/TriggersPanel';
import { VersionsPanel } from '../components/editor/VersionsPanel';
import { preloadSchemaForm } from '../components/forms/LazySchemaForm';
import { RunInputsDialog } from '../components/run/RunInputsDialog';
import { RunStatusChip } from '../components/run/RunStatusChip';
import { ConfirmDialog } from '../components/ui/ConfirmDialog';
import { useEditorKeys } from '../hooks/useEditorKeys';
import { useRunConnection } from '../hooks/useRunConnection';
import { useRunRefresh } from '../hooks/useRunRefresh';
import { whenIdle } from '../lib/idle';
import { deriveRunInputs } from '../lib/runInputs';
import { catalogSettled, useCatalogStore } from '../stores/catalogStore';
import {
  selectCanRedo,
  selectCanUndo,
  selectDirty,
  selectPreview,
  selectSelectedCount,
  selectSingleSelectedNodeId,
  useGraphStore,
} from '../stores/graphStore';
import { isTerminal, useRunStore } from '../stores/runStore';
import { canEdit, canRun, roleIn, useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';
import { runPage } from './lazyPages';

interface FlowMeta {
  id: number;
  team: number;
  name: string;
  description: string;
  revision: number;
  updatedBy: string | null;
  updatedAt: string | null;
  latestVersion: number | null;
}

function metaOf(flow: Flow): FlowMeta {
  return {
    id: flow.id,
    team: flow.team,
    name: flow.name,
    description: flow.description ?? '',
    revision: flow.revision,
    updatedBy: flow.updated_by ?? null,
    updatedAt: flow.updated_at ?? null,
    latestVersion: flow.latest_version ?? null,
  };
}

function problemsOf(err: unknown): GraphProblem[] | null {
  if (err instanceof ApiError && err.status === 400 && Array.isArray(err.body.errors)) {
    return (err.body.errors as GraphProblem[]).filter((p) => p && typeof p.message === 'string');
  }
  return null;
}

export function EditorPage() {
  const { id } = useParams();
  return (
    <ReactFlowProvider key={id}>
      <Editor flowId={Number(id)} />
    </ReactFlowProvider>
  );
}

function Editor({ flowId }: { flowId: number }) {
  const [meta, setMeta] = useState<FlowMeta | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [showRunDialog, setShowRunDialog] = useState(false);
  const [runId, setRunId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [sideTab, setSideTab] = useState<'problems' | 'runs'>('runs');
  const [historyKey, setHistoryKey] = useState(0);
  const [nameDraft, setNameDraft] = useState('');
  const [drawer, setDrawer] = useState<'versions' | 'triggers' | null>(null);
  // The revision a publish or restore is based on, current even inside a callback started before a save.
  const metaRef = useRef<FlowMeta | null>(null);
  metaRef.current = meta;
  const canvasRef = useRef<HTMLDivElement>(null);
  const { fitView } = useReactFlow();

  const me = useSessionStore((s) => s.me);
  const role = meta ? roleIn(me, meta.team) : null;
  // Until /api/me/ answers (or if it names no role) let the server decide.
  const editable = role === null || canEdit(role);
  const runnable = role === null || canRun(role);
  const preview = useGraphStore(selectPreview);
  // A version or a comparison on screen is looked at, never edited or saved.
  const readOnly = !editable || preview !== null;
  const formContext = useMemo(() => ({ teamId: meta?.team ?? null, flowId }), [meta?.team, flowId]);

  const dirty = useGraphStore(selectDirty);
  const canUndo = useGraphStore(selectCanUndo);
  const canRedo = useGraphStore(selectCanRedo);
  const selectedNodeId = useGraphStore(selectSingleSelectedNodeId);
  const selectedCount = useGraphStore(selectSelectedCount);
  const problemCount = useGraphStore((s) => s.problems.length);
  const catalogStatus = useCatalogStore((s) => s.status);
  const runStatus = useRunStore((s) => s.run?.status);
  const runLive = runId !== null && !isTerminal(runStatus);

  useRunConnection(runId);
  useRunRefresh(runId);

  // ---- loading -------------------------------------------------------------
  const load = useCallback(
    async (signal?: AbortSignal) => {
      setLoadError(null);
      try {
        // The first load takes the request boot started for this address, if any.
        const flow = await (takeEarly<Flow>(earlyKeys.flow(flowId)) ?? getFlow(flowId, signal));
        if (signal?.aborted) return;
        useGraphStore.getState().load(flow.graph);
        setMeta(metaOf(flow));
        // Opening another team's flow (a link) makes that team the current one.
        const session = useSessionStore.getState();
        if (session.me?.teams.some((t) => t.id === flow.team) && session.teamId !== flow.team) session.selectTeam(flow.team);
        setNameDraft(flow.name);
      } catch (err) {
        if (signal?.aborted) return;
        setLoadError(err instanceof ApiError && err.status === 404 ? 'This flow does not exist, or is not yours.' : describeError(err));
      }
    },
    [flowId],
  );

  useEffect(() => {
    const controller = new AbortController();
    void useCatalogStore.getState().ensureLoaded();
    useRunStore.getState().clear();
    void load(controller.signal);
    return () => {
      controller.abort();
      useRunStore.getState().clear();
      useGraphStore.getState().load(null);
    };
  }, [load]);

  // The node forms' and the run page's code, once the canvas is up: ready before they are needed.
  const loaded = meta !== null;
  useEffect(() => {
    if (!loaded) return;
    return whenIdle(() => {
      void preloadSchemaForm();
      void runPage.preload().catch(() => undefined);
    });
  }, [loaded]);

  useEffect(() => {
    useGraphStore.getState().setReadOnly(!editable);
  }, [editable, meta]);

  useEffect(() => {
    if (meta) document.title = `${dirty ? '• ' : ''}${meta.name} — Baton`;
    return () => {
      document.title = 'Baton';
    };
  }, [meta, dirty]);

  // ---- unsaved work ----------------------------------------------------------
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname,
  );

  // ---- saving ----------------------------------------------------------------
  const save = useCallback(
    async (baseRevision?: number): Promise<boolean> => {
      if (!meta || saving || readOnly) return false;
      const s = useGraphStore.getState();
      if (s.preview) return false;
      const rev = s.rev;
      setSaving(true);
      try {
        const flow = await saveFlow(meta.id, {
          name: meta.name,
          description: meta.description,
          graph: s.graph(),
          revision: baseRevision ?? meta.revision,
        });
        setMeta(metaOf(flow));
        metaRef.current = metaOf(flow);
        useGraphStore.getState().markSaved(rev);
        useGraphStore.getState().setProblems([]);
        setConflict(null);
        toast.success('Saved.');
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          setConflict({
            revision: Number(err.body.revision),
            updatedBy: (err.body.updated_by as string | undefined) ?? null,
            updatedAt: (err.body.updated_at as string | undefined) ?? null,
          });
          return false;
        }
        const problems = problemsOf(err);
        if (problems) {
          useGraphStore.getState().setProblems(problems);
          setSideTab('problems');
          toast.error(`Not saved: ${describeError(err)} (${problems.length} problem${problems.length === 1 ? '' : 's'}).`);
        } else {
          toast.error(`Not saved: ${describeError(err)}`);
        }
        return false;
      } finally {
        setSaving(false);
      }
    },
    [meta, saving, readOnly],
  );

  const reloadDiscarding = async () => {
    setConflict(null);
    await load();
    toast.info('Reloaded the saved flow; your changes were discarded.');
  };

  useEditorKeys({ readOnly, onSave: () => void save() });

  // ---- name ------------------------------------------------------------------
  const commitName = async () => {
    if (!meta) return;
    const name = nameDraft.trim();
    if (!name || name === meta.name) {
      setNameDraft(meta.name);
      return;
    }
    try {
      const flow = await patchFlow(meta.id, { name });
      // Adopt the new revision only when the rename is the one step past ours;
      // otherwise someone saved in between and the next save must hear 409.
      const revision = flow.revision === meta.revision || flow.revision === meta.revision + 1 ? flow.revision : meta.revision;
      setMeta({ ...meta, name: flow.name, revision });
      toast.success('Renamed.');
    } catch (err) {
      setNameDraft(meta.name);
      toast.error(`Not renamed: ${describeError(err)}`);
    }
  };

  // ---- validation, layout ------------------------------------------------------
  const validate = async () => {
    if (!meta) return;
    try {
      const result = await validateFlow(meta.id, useGraphStore.getState().graph());
      useGraphStore.getState().setProblems(result.errors ?? []);
      setSideTab('problems');
      if (result.valid) toast.success('The flow is valid.');
      else toast.warning(`${result.errors.length} problem${result.errors.length === 1 ? '' : 's'} found.`);
    } catch (err) {
      toast.error(describeError(err));
    }
  };

  const autoLayout = async () => {
    // dagre is loaded the first time it is needed.
    let layoutPositions: typeof import('../lib/layout').layoutPositions;
    try {
      ({ layoutPositions } = await import('../lib/layout'));
    } catch (err) {
      toast.error(`Auto-layout is not available: ${describeError(err)}`);
      return;
    }
    const { nodes, edges, applyPositions } = useGraphStore.getState();
    applyPositions(layoutPositions(nodes, edges));
    requestAnimationFrame(() => void fitView({ padding: 0.2, duration: 300, maxZoom: 1 }));
  };

  // ---- running ------------------------------------------------------------------
  const run = async (inputs: Record<string, unknown>) => {
    if (!meta) return;
    setShowRunDialog(false);
    const s = useGraphStore.getState();
    if (s.preview) return;
    const draft = selectDirty(s) ? s.graph() : undefined;
    setStarting(true);
    try {
      const started = await startRun(meta.id, inputs, draft);
      const runs = useRunStore.getState();
      runs.clear();
      runs.begin(started.id);
      runs.loadRun(started);
      setRunId(started.id);
      setHistoryKey((k) => k + 1);
      useGraphStore.getState().setProblems([]);
    } catch (err) {
      const problems = problemsOf(err);
      if (problems) {
        useGraphStore.getState().setProblems(problems);
        setSideTab('problems');
        toast.error(`The run did not start: ${describeError(err)}`);
      } else {
        toast.error(`The run did not start: ${describeError(err)}`);
      }
    } finally {
      setStarting(false);
    }
  };

  const onRunClick = () => {
    const form = deriveRunInputs(useGraphStore.getState().nodes);
    if (form.none) void run({});
    else setShowRunDialog(true);
  };

  const cancel = async () => {
    if (!runId) return;
    try {
      await cancelRun(runId);
      toast.info('Cancelling the run…');
    } catch (err) {
      toast.error(describeError(err));
    }
  };

  // ---- versions ---------------------------------------------------------------------
  const onRestored = (flow: Flow) => {
    setMeta(metaOf(flow));
    setNameDraft(flow.name);
    useGraphStore.getState().replaceSaved(flow.graph);
    requestAnimationFrame(() => void fitView({ padding: 0.2, duration: 300, maxZoom: 1 }));
  };

  const closeDrawer = () => {
    useGraphStore.getState().exitPreview();
    setDrawer(null);
  };

  const toggleDrawer = (which: 'versions' | 'triggers') => {
    if (drawer === which) closeDrawer();
    else {
      // A version or comparison on screen belongs to the versions drawer.
      useGraphStore.getState().exitPreview();
      setDrawer(which);
    }
  };

  // Refresh the history list when the run on screen ends.
  useEffect(() => {
    if (runId && isTerminal(runStatus)) setHistoryKey((k) => k + 1);
  }, [runId, runStatus]);

  if (loadError) {
    return (
      <div className="page page--narrow">
        <p className="error-text" data-testid="load-error">
          {loadError}
        </p>
        <Link to="/">Back to the flows</Link>
      </div>
    );
  }

  return (
    <div className="editor" data-testid="editor" data-flow-id={flowId}>
      <div className="toolbar" role="toolbar" aria-label="Flow">
        <Link to="/" className="toolbar__back" aria-label="Back to the flows">
          ‹ Flows
        </Link>
        <input
          className="toolbar__name"
          value={nameDraft}
          disabled={!meta || readOnly}
          onChange={(e) => setNameDraft(e.target.value)}
          onBlur={commitName}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.blur();
            if (e.key === 'Escape') {
              setNameDraft(meta?.name ?? '');
              e.currentTarget.blur();
            }
          }}
          aria-label="Flow name"
          data-testid="flow-name"
        />
        <span
          className={`dirty-marker${dirty ? ' dirty-marker--on' : ''}`}
          data-testid="dirty-marker"
          data-dirty={dirty}
          title={dirty ? 'Unsaved changes' : 'All changes saved'}
        >
          {dirty ? '● Unsaved' : meta ? 'Saved' : ''}
        </span>
        {!editable && meta && <span className="badge badge--muted">read-only ({role})</span>}
        {meta && (
          <span className="muted small" data-testid="latest-version" title="The version API keys, trigger URLs and schedules run by default">
            {meta.latestVersion ? `published: v${meta.latestVersion}` : 'not published'}
          </span>
        )}
        <div className="toolbar__group">
          <button type="button" className="button button--icon" onClick={() => useGraphStore.getState().undo()} disabled={!canUndo || readOnly} title="Undo (Ctrl+Z)" aria-label="Undo" data-testid="undo-button">
            ↶
          </button>
          <button type="button" className="button button--icon" onClick={() => useGraphStore.getState().redo()} disabled={!canRedo || readOnly} title="Redo (Ctrl+Shift+Z)" aria-label="Redo" data-testid="redo-button">
            ↷
          </button>
          <button type="button" className="button" onClick={() => void autoLayout()} disabled={readOnly} title="Arrange the nodes left to right" data-testid="layout-button">
            Auto-layout
          </button>
          <button type="button" className="button" onClick={validate} disabled={!meta} data-testid="validate-button">
            Validate
          </button>
          <button
            type="button"
            className="button"
            onClick={() => void save()}
            disabled={!meta || saving || readOnly}
            title="Save (Ctrl+S)"
            data-testid="save-button"
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
        <div className="toolbar__group">
          <button
            type="button"
            className={`button${drawer === 'versions' ? ' button--active' : ''}`}
            onClick={() => toggleDrawer('versions')}
            disabled={!meta}
            aria-pressed={drawer === 'versions'}
            data-testid="versions-button"
            title="Publish, view, compare and restore versions"
          >
            Versions
          </button>
          <button
            type="button"
            className={`button${drawer === 'triggers' ? ' button--active' : ''}`}
            onClick={() => toggleDrawer('triggers')}
            disabled={!meta}
            aria-pressed={drawer === 'triggers'}
            data-testid="triggers-button"
            title="Trigger URLs and schedules"
          >
            Triggers
          </button>
        </div>
        <div className="toolbar__group toolbar__group--run">
          <RunStatusChip />
          {runLive ? (
            <button type="button" className="button button--danger" onClick={cancel} data-testid="cancel-run-button">
              ■ Cancel
            </button>
          ) : null}
          <button
            type="button"
            className="button button--primary"
            onClick={onRunClick}
            disabled={!meta || !runnable || starting || catalogStatus === 'loading' || preview !== null}
            title={preview ? 'Go back to the draft to run it' : dirty ? 'Run the drawing on screen (unsaved changes included)' : 'Run the flow'}
            data-testid="run-button"
          >
            {starting ? 'Starting…' : '▶ Run'}
          </button>
        </div>
      </div>

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
          <aside className="side side--drawer">
            {drawer === 'versions' ? (
              <VersionsPanel
                flowId={meta.id}
                canWrite={editable}
                revision={() => metaRef.current?.revision ?? meta.revision}
                save={() => save()}
                onRestored={onRestored}
                onPublished={(number) => setMeta((m) => (m ? { ...m, latestVersion: number } : m))}
                onProblems={(problems) => {
                  useGraphStore.getState().setProblems(problems);
                  setSideTab('problems');
                  closeDrawer();
                }}
                onClose={closeDrawer}
              />
            ) : (
              <TriggersPanel flowId={meta.id} canWrite={editable} onClose={closeDrawer} />
            )}
          </aside>
        ) : (
        <aside className="side">
          {selectedNodeId ? (
            <NodePanel nodeId={selectedNodeId} readOnly={readOnly} context={formContext} />
          ) : selectedCount > 1 ? (
            <div className="panel" data-testid="selection-panel">
              <header className="panel__header">
                <div className="panel__title">{selectedCount} nodes selected</div>
              </header>
              <div className="panel__body">
                <p className="muted small">Drag to move them together. Ctrl+C copies them (also into another flow or tab), Delete removes them.</p>
                {!readOnly && (
                  <button type="button" className="button button--ghost-danger" onClick={() => useGraphStore.getState().deleteSelected()}>
                    Delete {selectedCount} nodes
                  </button>
                )}
              </div>
            </div>
          ) : (
            <div className="panel">
              <div className="tabs" role="tablist">
                <button type="button" role="tab" className="tab" aria-selected={sideTab === 'runs'} onClick={() => setSideTab('runs')} data-testid="runs-tab">
                  Runs
                </button>
                <button type="button" role="tab" className="tab" aria-selected={sideTab === 'problems'} onClick={() => setSideTab('problems')} data-testid="problems-tab">
                  Problems{problemCount ? ` (${problemCount})` : ''}
                </button>
              </div>
              <div className="panel__body panel__body--flush">
                {sideTab === 'problems' ? <ProblemsList /> : <RunHistory flowId={flowId} refreshKey={historyKey} />}
              </div>
              <p className="muted small pad side__hint">
                Select a node to edit it. Shift-drag selects many; Ctrl+C / Ctrl+V copy and paste, Ctrl+Z undoes.
              </p>
            </div>
          )}
        </aside>
        )}
      </div>

      {showRunDialog && meta && (
        <RunInputsDialog
          flowId={meta.id}
          nodes={useGraphStore.getState().nodes}
          dirty={dirty}
          onRun={(inputs) => void run(inputs)}
          onCancel={() => setShowRunDialog(false)}
        />
      )}
      {conflict && (
        <ConflictDialog
          conflict={conflict}
          busy={saving}
          onReload={() => void reloadDiscarding()}
          onOverwrite={() => void save(conflict.revision)}
          onCancel={() => setConflict(null)}
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
