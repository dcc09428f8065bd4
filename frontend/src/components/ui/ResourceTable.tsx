import type { HTMLAttributes, Key, ReactNode } from 'react';
import type { ConfirmedRemoval } from '../../hooks/useConfirmedRemoval';
import { ConfirmDialog } from './ConfirmDialog';
import './ResourceTable.css';

export interface Column<T> {
  header: ReactNode;
  /** On the header and every cell of the column (`num` right-aligns numbers). */
  className?: string;
  /** On the cells only. */
  cellClassName?: string;
  /** data-testid of each cell. */
  cellTestId?: string;
  cell: (item: T) => ReactNode;
}

/** Data attributes of a row (`data-testid`, `data-<thing>-id`...), for the browser tests. */
type RowAttributes = HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | number | undefined>;

export interface ResourceTableProps<T> {
  /** undefined until the first answer. */
  items: T[] | undefined;
  loading: boolean;
  error: Error | null;
  /** What the rows are, in the plural: "Loading flows…", "Could not load the flows: …". */
  noun: string;
  /** Instead of "Could not load the <noun>: <message>". */
  errorMessage?: (error: Error) => ReactNode;
  /** Shown instead of the table when there are no items; without it the table is shown empty. */
  empty?: ReactNode;
  testId: string;
  columns: Column<T>[];
  rowKey: (item: T) => Key;
  rowProps?: (item: T) => RowAttributes;
  /** The last cell of each row (buttons), under a header labelled "Actions". */
  actions?: (item: T) => ReactNode;
  /** Row deletion: the page's `useConfirmedRemoval` (its `ask(item)` opens this confirmation). */
  removal?: ConfirmedRemoval<T>;
  confirm?: { title: string; confirmLabel?: string; body: (item: T) => ReactNode };
}

/**
 * A list page's table and what surrounds it: "Loading…" until the first answer, the
 * error, the empty state, the rows, and the confirmation of a row's deletion.
 */
export function ResourceTable<T>(props: ResourceTableProps<T>) {
  const { items, loading, error, noun, empty, columns, actions, removal, confirm } = props;
  const deleting = removal?.target ?? null;
  return (
    <>
      {loading && !items && <p className="muted">Loading {noun}…</p>}
      {error && (props.errorMessage ? props.errorMessage(error) : <p className="error-text">Could not load the {noun}: {error.message}</p>)}
      {items && items.length === 0 && empty !== undefined
        ? empty
        : items && (
            <table className="table" data-testid={props.testId}>
              <thead>
                <tr>
                  {columns.map((column, i) => (
                    <th key={i} className={column.className}>
                      {column.header}
                    </th>
                  ))}
                  {actions && <th aria-label="Actions" />}
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={props.rowKey(item)} {...props.rowProps?.(item)}>
                    {columns.map((column, i) => (
                      <td key={i} className={cellClass(column)} data-testid={column.cellTestId}>
                        {column.cell(item)}
                      </td>
                    ))}
                    {actions && <td className="table__actions">{actions(item)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      {removal && confirm && deleting !== null && (
        <ConfirmDialog
          title={confirm.title}
          confirmLabel={confirm.confirmLabel ?? 'Delete'}
          danger
          busy={removal.busy}
          onConfirm={() => void removal.confirm()}
          onCancel={removal.cancel}
        >
          {confirm.body(deleting)}
        </ConfirmDialog>
      )}
    </>
  );
}

function cellClass({ className, cellClassName }: { className?: string; cellClassName?: string }): string | undefined {
  const classes = [className, cellClassName].filter(Boolean).join(' ');
  return classes || undefined;
}
