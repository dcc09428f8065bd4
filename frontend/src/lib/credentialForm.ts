// The credential form. Values are write-only: an edit starts blank, and a blank secret
// means "keep the stored one"; only fields the user touched are sent.
import type { CredentialData, CredentialField, CredentialProvider } from '../api/types';

export const PROVIDERS: { value: CredentialProvider; label: string; defaultBaseUrl: string }[] = [
  { value: 'openai', label: 'OpenAI-compatible', defaultBaseUrl: 'https://api.openai.com/v1' },
  { value: 'anthropic', label: 'Anthropic', defaultBaseUrl: 'https://api.anthropic.com' },
];

export function providerLabel(provider: string): string {
  return PROVIDERS.find((p) => p.value === provider)?.label ?? provider;
}

export const FIELD_LABELS: Record<CredentialField, string> = { api_key: 'API key', base_url: 'Base URL' };

export interface CredentialFormValues {
  apiKey: string;
  baseUrl: string;
  /** Editing only: remove the stored key (a local server may need none). */
  clearApiKey?: boolean;
  /** Editing only: remove the stored base URL (back to the provider's default). */
  clearBaseUrl?: boolean;
}

/** A sentence for what the server would refuse in the base URL, or null. */
export function baseUrlProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return null;
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'The base URL must start with http:// or https://.';
    return null;
  } catch {
    return 'The base URL must be a full address, like https://api.example.com/v1.';
  }
}

/**
 * The `data` to send. Creating: the fields filled in. Editing: only the fields changed
 * (a blank secret keeps the stored value); undefined when nothing changes.
 */
export function credentialData(values: CredentialFormValues, editing: boolean): CredentialData | undefined {
  const data: CredentialData = {};
  const apiKey = values.apiKey.trim();
  const baseUrl = values.baseUrl.trim();
  if (apiKey) data.api_key = apiKey;
  else if (editing && values.clearApiKey) data.api_key = null;
  if (baseUrl) data.base_url = baseUrl;
  else if (editing && values.clearBaseUrl) data.base_url = null;
  if (editing && Object.keys(data).length === 0) return undefined;
  return data;
}
