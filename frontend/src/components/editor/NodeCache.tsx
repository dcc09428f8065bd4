// The node output cache in the node panel: "Cache outputs" with how long to keep them
// (data.settings.cache = {ttl}), and the warning that a sampling model's cache freezes one answer.
import type { JsonSchema, NodeCacheSettings, NodeSettings } from '../../api/types';
import { useGraphStore } from '../../stores/graphStore';

/** An hour: long enough to matter while building a flow, short enough to see changes. */
export const DEFAULT_CACHE_TTL = 3600;
/** The server's bound (30 days). */
export const MAX_CACHE_TTL = 30 * 24 * 3600;
/** Model node types whose config has a sampling `temperature`. */
const SAMPLING_TYPES = new Set(['llm', 'agent']);

/** Whether caching this node keeps one of many possible answers: a model with a
 * temperature above 0, or none set (the provider's default samples). */
export function freezesOneSample(type: string, config: Record<string, unknown> | undefined): boolean {
  if (!SAMPLING_TYPES.has(type)) return false;
  const temperature = config?.temperature;
  return typeof temperature !== 'number' || temperature > 0;
}

/** The settings schema without `cache`: NodeCache edits it, not the generic form. */
export function withoutCache(schema: JsonSchema): JsonSchema {
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  if (!properties || !('cache' in properties)) return schema;
  const { cache: _cache, ...rest } = properties;
  return { ...schema, properties: rest } as JsonSchema;
}

/** The generic form's settings, with the cache settings it does not show kept. */
export function keepCache(next: Record<string, unknown>, cache: NodeCacheSettings | null | undefined): NodeSettings {
  const { cache: _dropped, ...rest } = next;
  return (cache ? { ...rest, cache } : rest) as NodeSettings;
}

function describeTtl(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function NodeCache({ nodeId, readOnly }: { nodeId: string; readOnly: boolean }) {
  const node = useGraphStore((s) => s.nodes.find((n) => n.id === nodeId));
  const updateNodeData = useGraphStore((s) => s.updateNodeData);
  if (!node) return null;
  const settings = node.data.settings ?? {};
  const cache = settings.cache ?? null;

  const setCache = (next: NodeCacheSettings | null) => {
    const { cache: _old, ...rest } = settings;
    updateNodeData(nodeId, { settings: next ? { ...rest, cache: next } : rest }, `settings:${nodeId}`);
  };

  return (
    <section className="panel__section" data-testid="cache-settings">
      <h4>Cache</h4>
      <label className="hstack gap small">
        <input
          type="checkbox"
          checked={cache !== null}
          disabled={readOnly}
          onChange={(e) => setCache(e.target.checked ? { ttl: DEFAULT_CACHE_TTL } : null)}
          data-testid="cache-toggle"
        />
        Cache outputs: the same request (config, inputs, credential) is answered from the last result, at no cost
      </label>
      {cache !== null && (
        <label className="hstack gap small">
          Keep for
          <input
            className="input"
            type="number"
            min={1}
            max={MAX_CACHE_TTL}
            step={1}
            style={{ width: '9em' }}
            value={cache.ttl}
            readOnly={readOnly}
            onChange={(e) => {
              const ttl = Math.round(Number(e.target.value));
              if (Number.isFinite(ttl) && ttl >= 1) setCache({ ttl: Math.min(ttl, MAX_CACHE_TTL) });
            }}
            data-testid="cache-ttl"
          />
          seconds <span className="muted">({describeTtl(cache.ttl)})</span>
        </label>
      )}
      {cache !== null && freezesOneSample(node.type ?? '', node.data.config) && (
        <p className="muted small" data-testid="cache-sample-note">
          This model samples (temperature above 0, or unset): caching freezes one sample — every cached run gets the
          same answer until it expires. Set temperature to 0 for answers that do not vary.
        </p>
      )}
    </section>
  );
}
