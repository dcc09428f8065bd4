import { act, renderHook } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { useToastStore } from '../stores/toastStore';
import { useConfirmedRemoval } from './useConfirmedRemoval';

interface Thing {
  id: number;
  name: string;
}

describe('useConfirmedRemoval', () => {
  beforeEach(() => useToastStore.setState({ toasts: [] }));

  it('removes the item asked about once confirmed, then reports it and closes', async () => {
    const remove = vi.fn(async (_thing: Thing) => undefined);
    const onRemoved = vi.fn();
    const { result } = renderHook(() => useConfirmedRemoval<Thing>({ remove, nameOf: (t) => t.name, onRemoved }));
    act(() => result.current.ask({ id: 7, name: 'Shop help' }));
    expect(result.current.target).toEqual({ id: 7, name: 'Shop help' });
    expect(remove).not.toHaveBeenCalled();
    await act(() => result.current.confirm());
    expect(remove).toHaveBeenCalledWith({ id: 7, name: 'Shop help' });
    expect(onRemoved).toHaveBeenCalledOnce();
    expect(result.current.target).toBeNull();
    expect(result.current.busy).toBe(false);
    expect(useToastStore.getState().toasts.map((t) => [t.kind, t.message])).toEqual([['success', 'Deleted “Shop help”.']]);
  });

  it('says why a removal failed and does not report it as removed', async () => {
    const remove = vi.fn(async () => {
      throw new ApiError(409, { error: 'the team still has 1 flow' }, 'HTTP 409');
    });
    const onRemoved = vi.fn();
    const { result } = renderHook(() => useConfirmedRemoval<Thing>({ remove, nameOf: (t) => t.name, onRemoved }));
    act(() => result.current.ask({ id: 1, name: 'x' }));
    await act(() => result.current.confirm());
    expect(onRemoved).not.toHaveBeenCalled();
    const [toast] = useToastStore.getState().toasts;
    expect(toast.kind).toBe('error');
    expect(toast.message).toContain('the team still has 1 flow');
  });

  it('does nothing when cancelled', async () => {
    const remove = vi.fn(async () => undefined);
    const { result } = renderHook(() => useConfirmedRemoval<Thing>({ remove, nameOf: (t) => t.name }));
    act(() => result.current.ask({ id: 1, name: 'x' }));
    act(() => result.current.cancel());
    await act(() => result.current.confirm());
    expect(remove).not.toHaveBeenCalled();
  });
});
