import { describe, expect, it } from 'vitest';
import { baseUrlProblem, credentialData, providerLabel } from './credentialForm';

describe('credential form', () => {
  it('sends on create the fields filled in', () => {
    expect(credentialData({ apiKey: ' sk-1 ', baseUrl: '', clearBaseUrl: false }, false)).toEqual({ api_key: 'sk-1' });
    expect(credentialData({ apiKey: '', baseUrl: '', clearBaseUrl: false }, false)).toEqual({});
  });

  it('keeps stored values when an edit leaves them blank', () => {
    expect(credentialData({ apiKey: '', baseUrl: '', clearBaseUrl: false }, true)).toBeUndefined();
    expect(credentialData({ apiKey: 'sk-2', baseUrl: '', clearBaseUrl: false }, true)).toEqual({ api_key: 'sk-2' });
  });

  it('removes the base URL only when asked', () => {
    expect(credentialData({ apiKey: '', baseUrl: '', clearBaseUrl: true }, true)).toEqual({ base_url: null });
    expect(credentialData({ apiKey: '', baseUrl: 'http://h/v1', clearBaseUrl: true }, true)).toEqual({ base_url: 'http://h/v1' });
  });

  it('removes the API key only when asked and none is typed', () => {
    expect(credentialData({ apiKey: '', baseUrl: '', clearApiKey: true }, true)).toEqual({ api_key: null });
    expect(credentialData({ apiKey: '', baseUrl: '', clearApiKey: true }, false)).toEqual({});
  });

  it('checks the base URL as the server does', () => {
    expect(baseUrlProblem('')).toBeNull();
    expect(baseUrlProblem('http://127.0.0.1:11434/v1')).toBeNull();
    expect(baseUrlProblem('ftp://x')).toMatch(/http/);
    expect(baseUrlProblem('api.openai.com')).toMatch(/full address/);
  });

  it('labels providers', () => {
    expect(providerLabel('openai')).toBe('OpenAI-compatible');
    expect(providerLabel('other')).toBe('other');
  });
});
