// The choices of a config-form picker (fields marked `x-baton-picker` in a node's
// config schema): the team's credentials, knowledge bases or flows, by id.
import type { PickableItem, PickerKind } from '../api/pickers';

export type { PickerKind };

export const PICKER_KINDS: readonly PickerKind[] = ['credential', 'knowledge_base', 'flow'];

export function isPickerKind(value: unknown): value is PickerKind {
  return typeof value === 'string' && (PICKER_KINDS as readonly string[]).includes(value);
}

export interface PickerOption {
  /** The id stored in the config; null is "none". */
  value: number | null;
  label: string;
  /** The stored id names nothing the team has (deleted, or another team's). */
  missing?: boolean;
  disabled?: boolean;
}

export interface PickerOptionsArgs {
  /** The id the config holds now. */
  value: unknown;
  /** The field accepts null: offer "none". */
  nullable: boolean;
  /** A flow picker leaves out the flow being edited (a flow cannot call itself). */
  excludeFlowId?: number | null;
  /** Only credentials of these providers fit (when the schema says so). */
  providers?: readonly string[] | null;
  /** False while the list is loading or could not be had: a stored id is then shown as itself, not as missing. */
  loaded?: boolean;
}

export const PICKER_NOUNS: Record<PickerKind, string> = {
  credential: 'credential',
  knowledge_base: 'knowledge base',
  flow: 'flow',
};

/** Where the team's objects of a kind are managed. */
export const PICKER_MANAGE_PATHS: Record<PickerKind, string> = {
  credential: '/credentials',
  knowledge_base: '/knowledge',
  flow: '/',
};

export function itemLabel(kind: PickerKind, item: PickableItem): string {
  if (kind === 'credential' && item.provider) return `${item.name} (${item.provider})`;
  if (kind === 'knowledge_base' && typeof item.document_count === 'number') {
    return `${item.name} · ${item.document_count} document${item.document_count === 1 ? '' : 's'}`;
  }
  return item.name;
}

/** The stored value as an id, or null for none (strings of digits count: hand-edited JSON). */
export function pickedId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

/**
 * The options of a picker's select, by name: "none" first when the field is
 * nullable (a placeholder otherwise, while nothing is chosen), and the stored id
 * as "missing (#id)" when the list does not have it.
 */
export function buildPickerOptions(
  kind: PickerKind,
  items: readonly PickableItem[],
  { value, nullable, excludeFlowId = null, providers = null, loaded = true }: PickerOptionsArgs,
): PickerOption[] {
  const current = pickedId(value);
  const fitting = items
    .filter((item) => !(kind === 'flow' && excludeFlowId !== null && item.id === excludeFlowId))
    .filter((item) => kind !== 'credential' || !providers?.length || (item.provider !== undefined && providers.includes(item.provider)))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  const options: PickerOption[] = [];
  if (nullable) options.push({ value: null, label: '— none —' });
  else if (current === null) options.push({ value: null, label: `Choose a ${PICKER_NOUNS[kind]}…`, disabled: true });
  for (const item of fitting) options.push({ value: item.id, label: itemLabel(kind, item) });
  if (current !== null && !loaded) {
    options.push({ value: current, label: `${PICKER_NOUNS[kind]} #${current}` });
  } else if (current !== null && !fitting.some((item) => item.id === current)) {
    const self = kind === 'flow' && current === excludeFlowId;
    options.push({ value: current, label: self ? `this flow (#${current})` : `missing (#${current})`, missing: true });
  }
  return options;
}
