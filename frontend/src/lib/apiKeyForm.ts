// The API key form: what its choices send, and how a key's limits read in the list.
import type { ApiKey } from '../api/types';

export type ExpiryChoice = 'keep' | 'never' | '7' | '30' | '90' | '365' | 'custom';

export const EXPIRY_CHOICES: { value: ExpiryChoice; label: string }[] = [
  { value: 'never', label: 'Never' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In a year' },
  { value: 'custom', label: 'On a date…' },
];

const DAY_MS = 86_400_000;

/**
 * The `expires_at` to send: null for never; a preset counts days from now; a custom
 * date (YYYY-MM-DD from a date input) means the end of that day in the reader's time
 * zone; `keep` (when editing a key) sends nothing, so the expiry stays as it is. Throws
 * with a sentence for a missing or past date.
 */
export function expiryFrom(choice: ExpiryChoice, customDate: string, now: number = Date.now()): string | null | undefined {
  if (choice === 'keep') return undefined;
  if (choice === 'never') return null;
  if (choice !== 'custom') return new Date(now + Number(choice) * DAY_MS).toISOString();
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(customDate);
  if (!match) throw new Error('Choose the date the key expires on.');
  const end = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59);
  if (Number.isNaN(end.getTime()) || end.getTime() <= now) throw new Error('The expiry date must be in the future.');
  return end.toISOString();
}

/** The key's flows as names, for the list ("all flows" when it is not limited). */
export function describeKeyFlows(key: Pick<ApiKey, 'flows'>, names: ReadonlyMap<number, string>): string {
  if (key.flows.length === 0) return 'All flows';
  return key.flows.map((id) => names.get(id) ?? `flow ${id}`).join(', ');
}
