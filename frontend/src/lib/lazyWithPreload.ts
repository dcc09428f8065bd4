import { createElement, lazy, useState, type ComponentType } from 'react';

export interface Preloadable<P> {
  Component: ComponentType<P>;
  /** Starts loading (once); resolves when the code is in. Rejects if it cannot load. */
  preload: () => Promise<void>;
  loaded: () => boolean;
}

/**
 * React.lazy, plus a way to load the code ahead of need. Once loaded, the
 * component renders at once instead of suspending: a lazy component always
 * suspends on its first render, and React then holds the revealed content back
 * for up to 300 ms after a Suspense fallback has shown (its fallback throttle).
 */
export function lazyWithPreload<P extends object>(load: () => Promise<ComponentType<P>>): Preloadable<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const start = () =>
    (pending ??= load().then(
      (component) => (loaded = component),
      (err: unknown) => {
        pending = null; // let a later render try again
        throw err;
      },
    ));
  const Lazy = lazy(() => start().then((component) => ({ default: component })));

  function Component(props: P) {
    // Chosen once per mount: switching from Lazy to the loaded component later
    // would be a different element type, and remount the page.
    const [Shown] = useState<ComponentType<P>>(() => loaded ?? (Lazy as unknown as ComponentType<P>));
    return createElement(Shown, props);
  }

  return {
    Component,
    preload: () => start().then(() => undefined),
    loaded: () => loaded !== null,
  };
}
