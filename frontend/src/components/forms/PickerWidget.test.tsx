import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forgetPickable } from '../../api/pickers';
import { SchemaForm } from './SchemaForm';

// An llm node's config schema as the server sends it (pydantic, abridged).
const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    credential: { anyOf: [{ type: 'integer' }, { type: 'null' }], default: null, title: 'Credential', 'x-baton-picker': 'credential' },
    model: { type: 'string', default: '', title: 'Model' },
  },
};

function answer(body: unknown, status = 200) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

describe('picker fields in the config form', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    forgetPickable();
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  const renderForm = (value: Record<string, unknown>, onChange = vi.fn()) =>
    render(
      <MemoryRouter>
        <SchemaForm schema={schema} value={value} onChange={onChange} idPrefix="t" context={{ teamId: 7, flowId: 1 }} />
      </MemoryRouter>,
    );

  it("lists the team's credentials and stores the chosen id", async () => {
    fetchMock.mockImplementation(() => answer([{ id: 4, name: 'OpenAI', provider: 'openai' }]));
    const onChange = vi.fn();
    renderForm({ credential: null, model: '' }, onChange);
    const select = (await screen.findByTestId('picker-select-credential')) as HTMLSelectElement;
    await waitFor(() => expect(select.options).toHaveLength(2));
    expect(fetchMock.mock.calls[0][0]).toBe('/api/credentials/?team=7');
    expect([...select.options].map((o) => o.textContent)).toEqual(['— none —', 'OpenAI (openai)']);
    fireEvent.change(select, { target: { value: '4' } });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ credential: 4 }));
    expect(screen.getByTestId('picker-manage-credential').getAttribute('href')).toBe('/credentials');
  });

  it('shows a stored id the team does not have as missing', async () => {
    fetchMock.mockImplementation(() => answer([]));
    renderForm({ credential: 99 });
    const select = (await screen.findByTestId('picker-select-credential')) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe('99'));
    expect(select.selectedOptions[0].textContent).toBe('missing (#99)');
    expect(screen.getByText(/not available in this team/)).toBeTruthy();
  });

  it('says so when the role may not list them', async () => {
    fetchMock.mockImplementation(() => answer({ error: 'your role does not allow this' }, 403));
    renderForm({ credential: null });
    expect(await screen.findByText(/Only editors and owners/)).toBeTruthy();
  });
});
