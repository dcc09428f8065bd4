// What the config-form pickers list: a team's credentials, knowledge bases and flows.
// (Only the fields a picker shows; the team pages have the full shapes.)

export type PickerKind = 'credential' | 'knowledge_base' | 'flow';

export interface PickableItem {
  id: number;
  name: string;
  /** A credential's provider ("openai", "anthropic"). */
  provider?: string;
  /** A knowledge base's document count. */
  document_count?: number;
}
