import { Suspense, type ComponentProps } from 'react';
import { lazyWithPreload } from '../../lib/lazyWithPreload';

// rjsf and its helpers are most of the editor's code but only needed once a node
// is selected: they load in a chunk of their own, fetched when the browser is
// idle after the canvas is up (preloadSchemaForm), or at the latest on first use.
type SchemaFormProps = ComponentProps<typeof import('./SchemaForm').SchemaForm>;

const form = lazyWithPreload<SchemaFormProps>(() => import('./SchemaForm').then((m) => m.SchemaForm));

/** Loads the form code now (resolves when it is ready; never rejects). */
export function preloadSchemaForm(): Promise<void> {
  return form.preload().catch(() => undefined);
}

export function LazySchemaForm(props: SchemaFormProps) {
  return (
    <Suspense fallback={<p className="muted small">Loading the form…</p>}>
      <form.Component {...props} />
    </Suspense>
  );
}
