import { useReactFlow } from '@xyflow/react';
import { useState } from 'react';
import { ApiError, describeError } from '../../api/client';
import { getFlow } from '../../api/flows';
import type { Flow, FlowVersionSummary, GraphProblem, VersionRef } from '../../api/types';
import { diffVersions, getVersion, publishVersion, restoreVersion, useVersions } from '../../api/versions';
import { countProblems, formatRelative, formatTime } from '../../lib/format';
import { buildDiffView, describeDiffCounts, summarizeDiff, type DiffEntry } from '../../lib/graphDiff';
import { selectBlockingProblems, selectDirty, selectPreview, useGraphStore } from '../../stores/graphStore';
import { toast } from '../../stores/toastStore';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import './panel.css';
import './VersionsPanel.css';

interface VersionsPanelProps {
  flowId: number;
  /** The user may publish and restore (owner, editor). */
  canWrite: boolean;
  /** The draft's revision as last saved or loaded. */
  revision: () => number;
  /** Saves the drawing; resolves whether it worked. */
  save: () => Promise<boolean>;
  /** A restore answered with the flow: the editor adopts it. */
  onRestored: (flow: Flow) => void;
  onPublished: (number: number) => void;
  /** A publish was refused for the draft's problems. */
  onProblems: (problems: GraphProblem[]) => void;
  onClose: () => void;
}

interface Comparison {
  from: VersionRef;
  to: VersionRef;
  fromLabel: string;
  toLabel: string;
  entries: DiffEntry[];
}

const refLabel = (ref: VersionRef) => (ref === 'draft' ? 'draft' : `version ${ref}`);
const parseRef = (value: string): VersionRef => (value === 'draft' ? 'draft' : Number(value));

/** Publish the saved draft, list the versions, view or compare them on the canvas, restore one. */
export function VersionsPanel({ flowId, canWrite, revision, save, onRestored, onPublished, onProblems, onClose }: VersionsPanelProps) {
  const [refreshKey, setRefreshKey] = useState(0);
  const { data: versions, error, loading, reload } = useVersions(flowId, refreshKey);
  const dirty = useGraphStore(selectDirty);
  const preview = useGraphStore(selectPreview);
  const blocking = useGraphStore(selectBlockingProblems);
  const { fitView } = useReactFlow();
  const [note, setNote] = useState('');
  const [publishing, setPublishing] = useState(false);
  const [askSave, setAskSave] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<FlowVersionSummary | null>(null);
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [from, setFrom] = useState<string>('');
  const [to, setTo] = useState<string>('draft');

  const latest = versions?.[0]?.number ?? 0;

  // ---- publish --------------------------------------------------------------------
  const publish = async () => {
    setAskSave(false);
    setPublishing(true);
    try {
      if (dirty && !(await save())) return;
      const version = await publishVersion(flowId, note.trim(), revision());
      setNote('');
      setRefreshKey((k) => k + 1);
      onPublished(version.number);
      toast.success(`Published version ${version.number}.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && Array.isArray(err.body.errors)) {
        onProblems(err.body.errors as GraphProblem[]);
        toast.error(`Not published: ${describeError(err)}`);
      } else if (err instanceof ApiError && err.status === 409) {
        toast.error(`Not published: someone saved the flow since you loaded it (${describeError(err)}). Reload the flow first.`);
      } else {
        toast.error(`Not published: ${describeError(err)}`);
      }
    } finally {
      setPublishing(false);
    }
  };

  // ---- view, compare ----------------------------------------------------------------
  const view = async (number: number) => {
    setBusy(`view:${number}`);
    try {
      const version = await getVersion(flowId, number);
      setComparison(null);
      useGraphStore.getState().enterPreview(version.graph, { label: `Version ${number}` });
    } catch (err) {
      toast.error(`Version ${number} could not be opened: ${describeError(err)}`);
    } finally {
      setBusy(null);
    }
  };

  const compare = async (a: VersionRef, b: VersionRef) => {
    if (a === b) {
      toast.warning('Choose two different sides to compare.');
      return;
    }
    setBusy('compare');
    try {
      const [diff, toGraph] = await Promise.all([
        diffVersions(flowId, a, b),
        b === 'draft' ? getFlow(flowId).then((f) => f.graph) : getVersion(flowId, b).then((v) => v.graph),
      ]);
      const shown = buildDiffView(diff, toGraph);
      const fromLabel = diff.from?.label ?? refLabel(a);
      const toLabel = diff.to?.label ?? refLabel(b);
      setComparison({ from: a, to: b, fromLabel, toLabel, entries: summarizeDiff(diff, toGraph) });
      setFrom(String(a));
      setTo(String(b));
      useGraphStore.getState().enterPreview(shown.graph, {
        label: `Changes from ${fromLabel} to ${toLabel}`,
        nodeMarks: shown.nodeMarks,
        edgeMarks: shown.edgeMarks,
      });
    } catch (err) {
      toast.error(`Not compared: ${describeError(err)}`);
    } finally {
      setBusy(null);
    }
  };

  const backToDraft = () => {
    setComparison(null);
    useGraphStore.getState().exitPreview();
  };

  const focusEntry = (entry: DiffEntry) => {
    const store = useGraphStore.getState();
    if (entry.kind === 'node') {
      store.selectOnly([entry.id]);
      void fitView({ nodes: [{ id: entry.id }], duration: 300, maxZoom: 1.2, padding: 0.6 });
    } else {
      store.selectOnly([], [entry.id]);
    }
  };

  // ---- restore ---------------------------------------------------------------------
  const restore = async (version: FlowVersionSummary) => {
    setBusy(`restore:${version.number}`);
    try {
      const flow = await restoreVersion(flowId, version.number, revision());
      setRestoring(null);
      setComparison(null);
      onRestored(flow);
      toast.success(`The draft is now version ${version.number}. Undo (Ctrl+Z) brings the previous drawing back.`);
    } catch (err) {
      setRestoring(null);
      if (err instanceof ApiError && err.status === 409) {
        toast.error(`Not restored: the flow was saved elsewhere since you loaded it. Reload the flow, then restore.`);
      } else {
        toast.error(`Not restored: ${describeError(err)}`);
      }
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="panel drawer" data-testid="versions-panel">
      <header className="panel__header">
        <div className="panel__title">Versions</div>
        <button type="button" className="icon-button" aria-label="Close versions" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="panel__body">
        {preview && (
          <div className="notice preview-notice" data-testid="preview-notice">
            <div>
              Showing <strong>{preview.label}</strong>, read-only.
            </div>
            <button type="button" className="button button--small" onClick={backToDraft} data-testid="back-to-draft">
              Back to the draft
            </button>
          </div>
        )}

        {canWrite && (
          <section className="drawer__section" data-testid="publish-section">
            <h4>Publish</h4>
            <p className="muted small">
              Publishing freezes the saved draft as version {latest + 1}. API keys, trigger URLs and schedules run the latest
              published version.
            </p>
            <textarea
              className="input"
              rows={2}
              placeholder="What changed? (optional)"
              value={note}
              maxLength={500}
              onChange={(e) => setNote(e.target.value)}
              data-testid="version-note"
            />
            <button
              type="button"
              className="button button--primary"
              disabled={publishing || preview !== null || blocking > 0}
              onClick={() => (dirty ? setAskSave(true) : void publish())}
              data-testid="publish-button"
              title={preview ? 'Go back to the draft first' : undefined}
            >
              {publishing ? 'Publishing…' : `Publish version ${latest + 1}`}
            </button>
            {blocking > 0 && (
              <p className="warning-text small" data-testid="publish-blocked">
                The draft has {countProblems(blocking)} (see Problems): fix {blocking === 1 ? 'it' : 'them'} to publish.
              </p>
            )}
          </section>
        )}

        <section className="drawer__section">
          <div className="hstack space">
            <h4>Published versions</h4>
            <button type="button" className="button button--small" onClick={reload} disabled={loading}>
              Refresh
            </button>
          </div>
          {loading && !versions && <p className="muted small">Loading versions…</p>}
          {error && (
            <p className="error-text" role="alert">
              {error.message}
            </p>
          )}
          {versions && versions.length === 0 && (
            <p className="muted small" data-testid="no-versions">
              No versions yet. {canWrite ? 'Publish the draft to make version 1.' : 'An editor can publish one.'}
            </p>
          )}
          <ul className="version-list">
            {versions?.map((v) => (
              <li key={v.number} className="version-list__item" data-testid="version-item" data-version={v.number}>
                <div className="version-list__head">
                  <strong>v{v.number}</strong>
                  <span className="muted small" title={formatTime(v.created_at)}>
                    {v.created_by ?? 'someone'} · {formatRelative(v.created_at)} · {v.node_count} node{v.node_count === 1 ? '' : 's'}
                  </span>
                </div>
                {v.note ? <div className="version-list__note">{v.note}</div> : <div className="muted small">No note.</div>}
                <div className="hstack gap version-list__actions">
                  <button type="button" className="button button--small" disabled={busy !== null} onClick={() => void view(v.number)} data-testid="view-version">
                    View
                  </button>
                  <button
                    type="button"
                    className="button button--small"
                    disabled={busy !== null}
                    onClick={() => void compare(v.number, 'draft')}
                    data-testid="compare-with-draft"
                    title="What the saved draft changed since this version"
                  >
                    Compare with draft
                  </button>
                  {canWrite && (
                    <button type="button" className="button button--small" disabled={busy !== null} onClick={() => setRestoring(v)} data-testid="restore-version">
                      Restore
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        </section>

        {versions && versions.length > 0 && (
          <section className="drawer__section" data-testid="compare-section">
            <h4>Compare</h4>
            <div className="compare-form">
              <label className="field">
                <span className="field__label">From</span>
                <select className="input" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="compare-from">
                  <option value="" disabled>
                    Choose…
                  </option>
                  {versions.map((v) => (
                    <option key={v.number} value={v.number}>
                      version {v.number}
                    </option>
                  ))}
                  <option value="draft">draft (saved)</option>
                </select>
              </label>
              <label className="field">
                <span className="field__label">To</span>
                <select className="input" value={to} onChange={(e) => setTo(e.target.value)} data-testid="compare-to">
                  <option value="draft">draft (saved)</option>
                  {versions.map((v) => (
                    <option key={v.number} value={v.number}>
                      version {v.number}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                className="button"
                disabled={!from || busy !== null}
                onClick={() => void compare(parseRef(from), parseRef(to))}
                data-testid="compare-button"
              >
                {busy === 'compare' ? 'Comparing…' : 'Compare'}
              </button>
            </div>
            {comparison && (
              <div className="diff-summary" data-testid="diff-summary">
                <p className="small">
                  <strong>
                    {comparison.fromLabel} → {comparison.toLabel}
                  </strong>
                  : {describeDiffCounts(comparison.entries)}.
                </p>
                {comparison.to === 'draft' && dirty && (
                  <p className="muted small">Your unsaved changes are not part of this comparison: save to include them.</p>
                )}
                <ul className="diff-list">
                  {comparison.entries.map((entry) => (
                    <li key={`${entry.kind}:${entry.id}`}>
                      <button
                        type="button"
                        className={`diff-list__item diff-list__item--${entry.mark}`}
                        onClick={() => focusEntry(entry)}
                        data-testid="diff-entry"
                        data-mark={entry.mark}
                        data-kind={entry.kind}
                        data-entry-id={entry.id}
                      >
                        <span className={`diff-chip diff-chip--${entry.mark}`}>{entry.mark}</span>
                        <span className="diff-list__label">
                          {entry.kind === 'edge' ? 'edge ' : ''}
                          {entry.label}
                        </span>
                        {entry.fields.length > 0 && entry.mark !== 'moved' && <span className="muted small">{entry.fields.join(', ')}</span>}
                      </button>
                    </li>
                  ))}
                </ul>
                <p className="muted small diff-legend">
                  On the canvas: <span className="diff-chip diff-chip--added">added</span>{' '}
                  <span className="diff-chip diff-chip--removed">removed</span> (ghosted){' '}
                  <span className="diff-chip diff-chip--changed">changed</span> <span className="diff-chip diff-chip--moved">moved</span>
                </p>
              </div>
            )}
          </section>
        )}
      </div>

      {askSave && (
        <ConfirmDialog title="Save before publishing?" confirmLabel="Save and publish" onConfirm={() => void publish()} onCancel={() => setAskSave(false)}>
          <p>The drawing has unsaved changes. Publishing freezes the saved draft, so it is saved first.</p>
        </ConfirmDialog>
      )}
      {restoring && (
        <ConfirmDialog
          title={`Restore version ${restoring.number}?`}
          confirmLabel={`Restore version ${restoring.number}`}
          busy={busy !== null}
          onConfirm={() => void restore(restoring)}
          onCancel={() => setRestoring(null)}
        >
          <p>
            The draft becomes a copy of version {restoring.number}
            {restoring.note ? ` (“${restoring.note}”)` : ''}, saved as a new revision. Published versions do not change.
          </p>
          <p>
            {dirty ? 'Your unsaved changes are kept in the undo history: ' : 'The current draft stays in the undo history: '}
            Undo (Ctrl+Z) brings it back.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
