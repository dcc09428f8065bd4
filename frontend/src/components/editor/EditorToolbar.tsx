import { useReactFlow } from '@xyflow/react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import type { FlowDocument } from '../../hooks/useFlowDocument';
import type { RunLauncher } from '../../hooks/useRunLauncher';
import { countProblems } from '../../lib/format';
import { useCatalogStore } from '../../stores/catalogStore';
import { selectBlockingProblems, selectCanRedo, selectCanUndo, useGraphStore } from '../../stores/graphStore';
import { useRunStore } from '../../stores/runStore';
import { toast } from '../../stores/toastStore';
import { RunStatusChip } from '../run/RunStatusChip';
import type { EditorDrawer } from './EditorDrawer';
import { ReplayChoices } from './ReplayChoices';
import '../../pages/canvasPage.css';

interface EditorToolbarProps {
  doc: FlowDocument;
  launcher: RunLauncher;
  /** The user's role allows starting runs (or is not known yet). */
  runnable: boolean;
  drawer: EditorDrawer | null;
  onToggleDrawer: (which: EditorDrawer) => void;
}

/** The editor's top bar: the flow's name, saved state, edit actions, drawers and running. */
export function EditorToolbar({ doc, launcher, runnable, drawer, onToggleDrawer }: EditorToolbarProps) {
  const { meta, dirty, readOnly, editable, preview } = doc;
  const canUndo = useGraphStore(selectCanUndo);
  const canRedo = useGraphStore(selectCanRedo);
  const blocking = useGraphStore(selectBlockingProblems);
  const catalogStatus = useCatalogStore((s) => s.status);
  // A failed or cancelled run on screen may be resumed (its succeeded nodes reused).
  const resumable = useRunStore((s) => s.run?.status === 'failed' || s.run?.status === 'cancelled');
  const { fitView } = useReactFlow();

  const autoLayout = async () => {
    // dagre is loaded the first time it is needed.
    let layoutPositions: typeof import('../../lib/layout').layoutPositions;
    try {
      ({ layoutPositions } = await import('../../lib/layout'));
    } catch (err) {
      toast.error(`Auto-layout is not available: ${describeError(err)}`);
      return;
    }
    const { nodes, edges, applyPositions } = useGraphStore.getState();
    applyPositions(layoutPositions(nodes, edges));
    requestAnimationFrame(() => void fitView({ padding: 0.2, duration: 300, maxZoom: 1 }));
  };

  return (
    <div className="toolbar" role="toolbar" aria-label="Flow">
      <Link to="/" className="toolbar__back" aria-label="Back to the flows">
        ‹ Flows
      </Link>
      <input
        className="toolbar__name"
        value={doc.nameDraft}
        disabled={!meta || readOnly}
        onChange={(e) => doc.setNameDraft(e.target.value)}
        onBlur={doc.commitName}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
          if (e.key === 'Escape') {
            doc.setNameDraft(meta?.name ?? '');
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
      {!editable && meta && <span className="badge badge--muted">read-only ({doc.team?.role ?? null})</span>}
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
        <button type="button" className="button" onClick={doc.validate} disabled={!meta} data-testid="validate-button">
          Validate
        </button>
        <button
          type="button"
          className="button"
          onClick={() => void doc.save()}
          disabled={!meta || doc.saving || readOnly}
          title="Save (Ctrl+S)"
          data-testid="save-button"
        >
          {doc.saving ? 'Saving…' : 'Save'}
        </button>
      </div>
      <div className="toolbar__group">
        <button
          type="button"
          className={`button${drawer === 'versions' ? ' button--active' : ''}`}
          onClick={() => onToggleDrawer('versions')}
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
          onClick={() => onToggleDrawer('triggers')}
          disabled={!meta}
          aria-pressed={drawer === 'triggers'}
          data-testid="triggers-button"
          title="Trigger URLs and schedules"
        >
          Triggers
        </button>
        <button
          type="button"
          className={`button${drawer === 'evaluations' ? ' button--active' : ''}`}
          onClick={() => onToggleDrawer('evaluations')}
          disabled={!meta}
          aria-pressed={drawer === 'evaluations'}
          data-testid="evaluations-button"
          title="Datasets and evaluations: score the flow row by row"
        >
          Evaluations
        </button>
      </div>
      <div className="toolbar__group toolbar__group--run">
        <RunStatusChip />
        {launcher.live ? (
          <button type="button" className="button button--danger" onClick={launcher.cancel} data-testid="cancel-run-button">
            ■ Cancel
          </button>
        ) : null}
        {resumable && runnable && (
          <button
            type="button"
            className="button"
            onClick={() => void launcher.resume()}
            disabled={launcher.starting}
            title="A new run of the same graph and inputs that reuses every node that succeeded here"
            data-testid="resume-run-button"
          >
            ↻ Resume
          </button>
        )}
        {runnable && !launcher.live && (
          <ReplayChoices
            flowId={meta?.id ?? null}
            launcher={launcher}
            disabled={!meta || launcher.starting || catalogStatus === 'loading' || preview !== null}
          />
        )}
        <button
          type="button"
          className="button button--primary"
          onClick={launcher.open}
          disabled={!meta || !runnable || launcher.starting || catalogStatus === 'loading' || preview !== null || blocking > 0}
          title={
            preview
              ? 'Go back to the draft to run it'
              : blocking > 0
                ? `Fix the flow's ${countProblems(blocking)} first (see Problems)`
                : dirty
                  ? 'Run the drawing on screen (unsaved changes included)'
                  : 'Run the flow'
          }
          data-testid="run-button"
        >
          {launcher.starting ? 'Starting…' : '▶ Run'}
        </button>
      </div>
    </div>
  );
}
