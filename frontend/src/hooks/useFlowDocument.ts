// The flow open in the editor: loading it, saving it (with revision conflicts), renaming,
// validating, restoring a version, and guarding unsaved work. The drawing itself lives in
// graphStore; this keeps what the server says about the flow around it.
import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useBlocker } from 'react-router';
import { ApiError, describeError } from '../api/client';
import { earlyKeys, takeEarly } from '../api/early';
import { getFlow, patchFlow, saveFlow, validateFlow } from '../api/flows';
import type { Flow, GraphProblem } from '../api/types';
import type { Conflict } from '../components/editor/ConflictDialog';
import { countProblems } from '../lib/format';
import { teamIn } from '../lib/permissions';
import { useCatalogStore } from '../stores/catalogStore';
import { selectDirty, selectPreview, useGraphStore } from '../stores/graphStore';
import { canEdit, useSessionStore } from '../stores/sessionStore';
import { toast } from '../stores/toastStore';

export interface FlowMeta {
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

/** The problems of a 400 answer to a save, a validation or a run, or null. */
export function problemsOf(err: unknown): GraphProblem[] | null {
  if (err instanceof ApiError && err.status === 400 && Array.isArray(err.body.errors)) {
    return (err.body.errors as GraphProblem[]).filter((p) => p && typeof p.message === 'string');
  }
  return null;
}

interface FlowDocumentOptions {
  flowId: number;
  /** The server found problems in the drawing (they are in graphStore): show them. */
  onProblems: () => void;
}

export type FlowDocument = ReturnType<typeof useFlowDocument>;

export function useFlowDocument({ flowId, onProblems }: FlowDocumentOptions) {
  const [meta, setMeta] = useState<FlowMeta | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [nameDraft, setNameDraft] = useState('');
  // The revision a publish or restore is based on, current even inside a callback started before a save.
  const metaRef = useRef<FlowMeta | null>(null);
  useEffect(() => {
    metaRef.current = meta;
  }, [meta]);
  const { fitView } = useReactFlow();

  const team = useSessionStore((s) => (meta ? teamIn(s.me, meta.team) : null));
  // Until /api/me/ answers (or if it names no team) let the server decide.
  const editable = team === null || canEdit(team);
  const preview = useGraphStore(selectPreview);
  // A version or a comparison on screen is looked at, never edited or saved.
  const readOnly = !editable || preview !== null;
  const dirty = useGraphStore(selectDirty);
  const formContext = useMemo(() => ({ teamId: meta?.team ?? null, flowId }), [meta?.team, flowId]);

  // ---- loading -------------------------------------------------------------
  const show = useCallback((flow: Flow) => {
    useGraphStore.getState().load(flow.graph);
    useGraphStore.getState().setProblems(flow.problems ?? []);
    setMeta(metaOf(flow));
    // Opening another team's flow (a link) makes that team the current one.
    const session = useSessionStore.getState();
    if (session.me?.teams.some((t) => t.id === flow.team) && session.teamId !== flow.team) session.selectTeam(flow.team);
    setNameDraft(flow.name);
  }, []);

  const showLoadError = useCallback((err: unknown) => {
    setLoadError(err instanceof ApiError && err.status === 404 ? 'This flow does not exist, or is not yours.' : describeError(err));
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    void useCatalogStore.getState().ensureLoaded();
    // The first load takes the request boot started for this address, if any.
    (takeEarly<Flow>(earlyKeys.flow(flowId)) ?? getFlow(flowId, controller.signal))
      .then((flow) => {
        if (!controller.signal.aborted) show(flow);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) showLoadError(err);
      });
    return () => {
      controller.abort();
      useGraphStore.getState().load(null);
    };
  }, [flowId, show, showLoadError]);

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

  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);

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
        // A draft is saved whatever it holds; what keeps it from running is shown on it.
        const problems = flow.problems ?? [];
        useGraphStore.getState().setProblems(problems);
        setConflict(null);
        if (problems.length > 0) {
          onProblems();
          toast.warning(`Saved, with ${countProblems(problems.length)}: fix ${problems.length === 1 ? 'it' : 'them'} to run or publish the flow.`);
        } else {
          toast.success('Saved.');
        }
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
          onProblems();
          toast.error(`Not saved: ${describeError(err)} (${countProblems(problems.length)}).`);
        } else {
          toast.error(`Not saved: ${describeError(err)}`);
        }
        return false;
      } finally {
        setSaving(false);
      }
    },
    [meta, saving, readOnly, onProblems],
  );

  const reloadDiscarding = async () => {
    setConflict(null);
    setLoadError(null);
    try {
      show(await getFlow(flowId));
    } catch (err) {
      showLoadError(err);
    }
    toast.info('Reloaded the saved flow; your changes were discarded.');
  };

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

  // ---- validation ------------------------------------------------------------
  const validate = async () => {
    if (!meta) return;
    try {
      const result = await validateFlow(meta.id, useGraphStore.getState().graph());
      useGraphStore.getState().setProblems(result.errors ?? []);
      onProblems();
      if (result.valid) toast.success('The flow is valid.');
      else toast.warning(`${countProblems(result.errors.length)} found.`);
    } catch (err) {
      toast.error(describeError(err));
    }
  };

  // ---- versions --------------------------------------------------------------
  const onRestored = (flow: Flow) => {
    setMeta(metaOf(flow));
    setNameDraft(flow.name);
    useGraphStore.getState().replaceSaved(flow.graph);
    useGraphStore.getState().setProblems(flow.problems ?? []);
    requestAnimationFrame(() => void fitView({ padding: 0.2, duration: 300, maxZoom: 1 }));
  };

  const onPublished = (latestVersion: number) => setMeta((m) => (m ? { ...m, latestVersion } : m));

  /** The saved revision, current even in a callback that started before the last save. */
  const revision = () => metaRef.current?.revision ?? meta?.revision ?? 0;

  return {
    meta,
    loadError,
    team,
    editable,
    readOnly,
    preview,
    dirty,
    formContext,
    saving,
    save,
    conflict,
    dismissConflict: () => setConflict(null),
    reloadDiscarding,
    blocker,
    nameDraft,
    setNameDraft,
    commitName,
    validate,
    onRestored,
    onPublished,
    revision,
  };
}
