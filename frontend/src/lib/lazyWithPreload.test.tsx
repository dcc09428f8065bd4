import { act, render, screen } from '@testing-library/react';
import { Suspense, useEffect } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { lazyWithPreload } from './lazyWithPreload';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function Hello({ name }: { name: string }) {
  return <p data-testid="hello">Hello {name}</p>;
}

const inSuspense = (node: React.ReactNode) => <Suspense fallback={<p data-testid="fallback">…</p>}>{node}</Suspense>;

describe('lazy components that can be loaded ahead', () => {
  it('load once, however often preload is called, and render at once afterwards', async () => {
    const load = vi.fn(() => Promise.resolve(Hello));
    const page = lazyWithPreload(load);
    expect(page.loaded()).toBe(false);
    await Promise.all([page.preload(), page.preload()]);
    expect(load).toHaveBeenCalledTimes(1);
    expect(page.loaded()).toBe(true);
    render(inSuspense(<page.Component name="Ada" />));
    // No fallback, not even for a moment: the content is there in the first commit.
    expect(screen.queryByTestId('fallback')).toBeNull();
    expect(screen.getByTestId('hello').textContent).toBe('Hello Ada');
  });

  it('suspend like React.lazy when rendered before the code is in, without remounting later', async () => {
    const gate = deferred<typeof Hello>();
    const page = lazyWithPreload(() => gate.promise);
    const mounts = vi.fn();
    function Counted({ name }: { name: string }) {
      useEffect(() => mounts(), []);
      return <Hello name={name} />;
    }
    const { rerender } = render(inSuspense(<page.Component name="Ada" />));
    expect(screen.getByTestId('fallback')).toBeTruthy();
    await act(async () => gate.resolve(Counted as unknown as typeof Hello));
    expect(await screen.findByTestId('hello')).toBeTruthy();
    rerender(inSuspense(<page.Component name="Grace" />));
    expect(screen.getByTestId('hello').textContent).toBe('Hello Grace');
    expect(mounts).toHaveBeenCalledTimes(1);
  });

  it('try again after a failed load', async () => {
    let attempt = 0;
    const page = lazyWithPreload(() => (++attempt === 1 ? Promise.reject(new Error('offline')) : Promise.resolve(Hello)));
    await expect(page.preload()).rejects.toThrow('offline');
    await page.preload();
    expect(page.loaded()).toBe(true);
    expect(attempt).toBe(2);
  });
});
