import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import {
  startEvaluation,
  uploadDataset,
  useDatasets,
  useEvaluation,
  useEvaluations,
  type Evaluation,
  type EvaluationRow,
  type ScorerType,
} from '../../api/evaluations';
import { toast } from '../../stores/toastStore';
import './panel.css';
import './EvaluationsPanel.css';

interface EvaluationsPanelProps {
  flowId: number;
  /** The user may make datasets (owner, editor). */
  canWrite: boolean;
  onClose: () => void;
}

const SCORERS: ScorerType[] = ['exact', 'contains', 'json_subset', 'regex', 'numeric'];

const short = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? '' : text.length > 80 ? `${text.slice(0, 79)}…` : text;
};

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);

function summary(evaluation: Evaluation): string {
  const t = evaluation.totals;
  if (evaluation.status === 'running') return `running: ${t.done} of ${t.rows}`;
  return `${t.passed} of ${t.rows} passed (${percent(t.pass_rate)})`;
}

/** A flow's datasets and evaluations: run a dataset through the flow, read a score per row. */
export function EvaluationsPanel({ flowId, canWrite, onClose }: EvaluationsPanelProps) {
  const [datasetKey, setDatasetKey] = useState(0);
  const [listKey, setListKey] = useState(0);
  const [openKey, setOpenKey] = useState(0);
  const datasets = useDatasets(flowId, datasetKey);
  const evaluations = useEvaluations(flowId, listKey);
  const [openId, setOpenId] = useState<number | null>(null);
  const open = useEvaluation(openId, openKey);
  const [dataset, setDataset] = useState('');
  const [scorer, setScorer] = useState<ScorerType>('exact');
  const [replay, setReplay] = useState(false);
  const [busy, setBusy] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [fileName, setFileName] = useState('');

  // While the open evaluation runs, read it again every second (its rows fill in).
  const running = open.data?.status === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = window.setTimeout(() => {
      setOpenKey((k) => k + 1);
      setListKey((k) => k + 1);
    }, 1000);
    return () => window.clearTimeout(timer);
  }, [running, open.data]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (!dataset) return;
    setBusy(true);
    try {
      const started = await startEvaluation(flowId, { dataset: Number(dataset), replay, scorers: [{ type: scorer }] });
      setOpenId(started.id);
      setListKey((k) => k + 1);
    } catch (err) {
      toast.error(`Not started: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const upload = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    try {
      const made = await uploadDataset(flowId, fileName.trim() || file.name, file);
      toast.success(`Dataset “${made.name}”: ${made.row_count} rows.`);
      setFile(null);
      setFileName('');
      setDatasetKey((k) => k + 1);
    } catch (err) {
      toast.error(`No dataset made: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel drawer" data-testid="evaluations-panel">
      <header className="panel__header">
        <div className="panel__title">Evaluations</div>
        <button type="button" className="icon-button" aria-label="Close evaluations" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="panel__body">
        <section className="drawer__section" data-testid="dataset-section">
          <h4>Datasets</h4>
          <p className="muted small">Rows of inputs and what is expected. A dataset named “tests” holds the flow's test cases.</p>
          {datasets.error && <p className="error-text" role="alert">{describeError(datasets.error)}</p>}
          <ul className="evaluations__list">
            {datasets.data?.map((d) => (
              <li key={d.id}>
                {d.name} <span className="muted small">{d.row_count} rows</span>
              </li>
            ))}
          </ul>
          {datasets.data?.length === 0 && <p className="muted small">No datasets yet.</p>}
          {canWrite && (
            <form className="evaluations__form" onSubmit={upload} data-testid="upload-dataset-form">
              <input className="input" placeholder="Name" value={fileName} maxLength={200} onChange={(e) => setFileName(e.target.value)} aria-label="Dataset name" />
              <input type="file" accept=".csv,.jsonl" onChange={(e) => setFile(e.target.files?.[0] ?? null)} aria-label="CSV or JSONL file" />
              <button type="submit" className="button button--small" disabled={!file || busy}>
                Upload
              </button>
            </form>
          )}
        </section>
        <section className="drawer__section" data-testid="evaluation-section">
          <h4>Run an evaluation</h4>
          <form className="evaluations__form" onSubmit={start} data-testid="start-evaluation-form">
            <select className="input" value={dataset} onChange={(e) => setDataset(e.target.value)} aria-label="Dataset">
              <option value="">Dataset…</option>
              {datasets.data?.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            <select className="input" value={scorer} onChange={(e) => setScorer(e.target.value as ScorerType)} aria-label="Scorer">
              {SCORERS.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <label className="small">
              <input type="checkbox" checked={replay} onChange={(e) => setReplay(e.target.checked)} /> replay
            </label>
            <button type="submit" className="button button--primary button--small" disabled={!dataset || busy} data-testid="start-evaluation">
              Run
            </button>
          </form>
          <ul className="evaluations__list">
            {evaluations.data?.map((ev) => (
              <li key={ev.id}>
                <button type="button" className={`button button--small button--quiet${ev.id === openId ? ' button--active' : ''}`} onClick={() => setOpenId(ev.id)}>
                  #{ev.id} · {ev.version === 'draft' ? 'draft' : `v${ev.version}`}
                  {ev.replay ? ' · replay' : ''}
                </button>{' '}
                <span className="muted small">{summary(ev)}</span>
              </li>
            ))}
          </ul>
        </section>
        {open.data && <ResultsTable evaluation={open.data} />}
      </div>
    </div>
  );
}

function ResultsTable({ evaluation }: { evaluation: Evaluation }) {
  const rows: EvaluationRow[] = evaluation.rows ?? [];
  const t = evaluation.totals;
  return (
    <section className="drawer__section" data-testid="evaluation-results">
      <h4>
        Evaluation #{evaluation.id}: {summary(evaluation)}
      </h4>
      <p className="muted small">
        {t.scorers.map((s) => `${s.type} ${percent(s.mean)}`).join(' · ')} · cost ${t.cost_usd.toFixed(4)}
        {t.mean_latency_ms !== null ? ` · ${t.mean_latency_ms} ms a row` : ''}
      </p>
      <table className="evaluations__table">
        <thead>
          <tr>
            <th>#</th>
            <th>Inputs</th>
            <th>Expected</th>
            <th>Outputs</th>
            <th>Scores</th>
            <th>ms</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.index} className={row.pass === false ? 'is-failed' : row.pass ? 'is-passed' : undefined}>
              <td>{row.run ? <Link to={`/runs/${row.run}`}>{row.index + 1}</Link> : row.index + 1}</td>
              <td>{short(row.inputs)}</td>
              <td>{short(row.expected)}</td>
              <td>{row.error ?? (row.outputs ? short(row.outputs) : row.status)}</td>
              <td title={row.scores.map((s) => s.reason).filter(Boolean).join('\n')}>
                {row.scores.map((s) => `${s.type} ${s.score === null ? '…' : s.score.toFixed(2)}`).join(', ')}
              </td>
              <td>{row.latency_ms ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
