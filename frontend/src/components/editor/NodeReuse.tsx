// Not paying twice while building a flow: a node's pinned output (typed, or taken from the
// run on screen) and running from a node with the other outputs reused.
import { useState } from 'react';
import { describeError } from '../../api/client';
import { getRun } from '../../api/runs';
import { useGraphStore } from '../../stores/graphStore';
import { useNodeRun, useRunStore } from '../../stores/runStore';
import { toast } from '../../stores/toastStore';

export type RunFromHandler = (nodeId: string, only: boolean) => void;

function setPin(nodeId: string, pinned: { output: unknown } | undefined) {
  useGraphStore.getState().updateNodeData(nodeId, { pinned }, null);
}

const asText = (value: unknown) => JSON.stringify(value, null, 2) ?? 'null';

/** The pin of a node: typed as JSON, replaced or removed. Pins belong to the draft. */
export function PinEditor({ nodeId, readOnly }: { nodeId: string; readOnly: boolean }) {
  const pinned = useGraphStore((s) => s.nodes.find((n) => n.id === nodeId)?.data.pinned);
  const [text, setText] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const shown = text ?? (pinned ? asText(pinned.output) : '');

  const save = () => {
    try {
      setPin(nodeId, { output: JSON.parse(shown) });
      setText(null);
      setProblem(null);
    } catch (err) {
      setProblem(`Not JSON: ${(err as Error).message}`);
    }
  };

  return (
    <section className="panel__section" data-testid="pin-editor">
      <h4>Pinned output {pinned && <span className="muted small">(runs use it instead of executing the node)</span>}</h4>
      <textarea
        className="input"
        style={{ fontFamily: 'var(--mono)' }}
        rows={pinned || text !== null ? 6 : 2}
        placeholder='Type a JSON value to pin, e.g. {"status": 200, "body": {}}'
        value={shown}
        readOnly={readOnly}
        onChange={(e) => setText(e.target.value)}
        data-testid="pin-json"
      />
      {problem && <p className="error-text small" data-testid="pin-problem">{problem}</p>}
      {!readOnly && (
        <div className="hstack gap">
          <button type="button" className="button button--small" disabled={!shown.trim() || text === null} onClick={save} data-testid="pin-save">
            {pinned ? 'Update pin' : 'Pin'}
          </button>
          {pinned && (
            <button
              type="button"
              className="button button--small button--ghost-danger"
              onClick={() => {
                setPin(nodeId, undefined);
                setText(null);
              }}
              data-testid="unpin-button"
            >
              Unpin
            </button>
          )}
        </div>
      )}
    </section>
  );
}

/** "Pin this output": the node's output in the run on screen becomes its pin. */
export function PinFromRun({ nodeId, readOnly }: { nodeId: string; readOnly: boolean }) {
  const run = useNodeRun(nodeId);
  const runId = useRunStore((s) => s.runId);
  const pinned = useGraphStore((s) => Boolean(s.nodes.find((n) => n.id === nodeId)?.data.pinned));
  const [busy, setBusy] = useState(false);
  if (readOnly || !run || run.status !== 'succeeded' || run.output === undefined) return null;

  const pin = async () => {
    setBusy(true);
    try {
      // An output shown as a preview is pinned whole.
      const output = run.truncated && runId ? (await getRun(runId)).nodes.find((n) => n.node_id === nodeId)?.output : run.output;
      setPin(nodeId, { output });
      toast.success('Output pinned: runs of the draft use it instead of executing the node.');
    } catch (err) {
      toast.error(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <button type="button" className="button button--small" disabled={busy} onClick={() => void pin()} data-testid="pin-output-button">
      {pinned ? 'Pin this output instead' : 'Pin this output'}
    </button>
  );
}

const RUN_FROM_CHOICES = [
  {
    only: false,
    label: '▶ Run from here',
    testId: 'run-from-here',
    title: "Run this node and everything after it; the other nodes' outputs come from the run on screen (or the latest run)",
  },
  {
    only: true,
    label: 'Run only this node',
    testId: 'run-only-node',
    title: 'Run only this node, its inputs taken from the run on screen (or the latest run)',
  },
];

/** "Run from here" and "Run only this node", the other outputs reused from the run on screen. */
export function RunFromButtons({ nodeId, onRunFrom }: { nodeId: string; onRunFrom: RunFromHandler }) {
  const busy = useRunStore((s) => Boolean(s.run && ['pending', 'running', 'waiting'].includes(s.run.status)));
  return (
    <div className="hstack gap" data-testid="run-from">
      {RUN_FROM_CHOICES.map((choice) => (
        <button
          key={choice.testId}
          type="button"
          className="button button--small"
          disabled={busy}
          title={choice.title}
          onClick={() => onRunFrom(nodeId, choice.only)}
          data-testid={choice.testId}
        >
          {choice.label}
        </button>
      ))}
    </div>
  );
}
