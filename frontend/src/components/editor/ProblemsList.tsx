import { useReactFlow } from '@xyflow/react';
import { useGraphStore } from '../../stores/graphStore';
import './ProblemsList.css';

/** Every problem the server named; clicking one selects and shows what it names. */
export function ProblemsList() {
  const problems = useGraphStore((s) => s.problems);
  const { fitView } = useReactFlow();
  if (problems.length === 0) return <p className="muted small pad" data-testid="problems-empty">No problems found.</p>;

  const show = (nodeId?: string, edgeId?: string) => {
    const s = useGraphStore.getState();
    if (nodeId && s.nodes.some((n) => n.id === nodeId)) {
      s.selectOnly([nodeId]);
      void fitView({ nodes: [{ id: nodeId }], duration: 300, maxZoom: 1.2 });
    } else if (edgeId) {
      const edge = s.edges.find((e) => e.id === edgeId);
      if (edge) {
        s.selectOnly([], [edgeId]);
        void fitView({ nodes: [{ id: edge.source }, { id: edge.target }], duration: 300, maxZoom: 1.2 });
      }
    }
  };

  return (
    <ul className="problems" data-testid="problems-list">
      {problems.map((p, i) => {
        const target = p.node_id ? `node ${p.node_id}` : p.edge_id ? `edge ${p.edge_id}` : 'flow';
        const node = p.node_id ? useGraphStore.getState().nodes.find((n) => n.id === p.node_id) : undefined;
        return (
          <li key={i}>
            <button type="button" className="problem" onClick={() => show(p.node_id, p.edge_id)} data-testid="problem">
              <span className="problem__target">{node?.data.label ? `${node.data.label} (${p.node_id})` : target}</span>
              <span className="problem__message">{p.message}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
