import type { Key, ReactNode } from 'react';

/** One column of a `DataTable`: its header, and what each row shows under it. */
export interface Column<T> {
  header: ReactNode;
  cell: (row: T, index: number) => ReactNode;
  /** Class of the body cells, e.g. `mono` for codes and identifiers. */
  className?: string;
  /** A count or other figure: its header and cells are right-aligned together (`num`). */
  numeric?: boolean;
  /** The column that names the row: a `<th scope="row">`, so screen readers announce it with each cell. */
  rowHeader?: boolean;
}

/** `data-*` attributes on a row, for the tests and scripts that find a row by what it stands for. */
export type RowData = Record<`data-${string}`, string>;

/**
 * A table of records, one row each, with a header cell (`scope="col"`) per column. What to show
 * when there are no rows is left to the caller: each screen words (or hides) it in its own way.
 */
export function DataTable<T>({
  className,
  caption,
  columns,
  rows,
  rowKey,
  rowData,
}: {
  className: string;
  /** Names the table for screen readers; sighted users already have the heading above it. */
  caption?: ReactNode;
  columns: ReadonlyArray<Column<T>>;
  rows: readonly T[];
  /**
   * Per record where rows can be added or removed, so an edited row keeps its state; a read-only
   * list may use the position.
   */
  rowKey: (row: T, index: number) => Key;
  rowData?: (row: T, index: number) => RowData;
}): ReactNode {
  return (
    <table className={className}>
      {caption !== undefined && <caption className="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column, n) => (
            <th key={n} scope="col" className={column.numeric ? 'num' : undefined}>
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)} {...rowData?.(row, index)}>
            {columns.map((column, n) => (
              <DataCell key={n} column={column} row={row} index={index} />
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DataCell<T>({ column, row, index }: { column: Column<T>; row: T; index: number }): ReactNode {
  const content = column.cell(row, index);
  const className = cellClassName(column);
  if (column.rowHeader) {
    return (
      <th scope="row" className={className}>
        {content}
      </th>
    );
  }
  return <td className={className}>{content}</td>;
}

/** No class attribute at all when there is none, as hand-written cells had. */
function cellClassName(column: Pick<Column<unknown>, 'numeric' | 'className'>): string | undefined {
  const names = [column.numeric ? 'num' : '', column.className ?? ''].filter(Boolean);
  return names.length > 0 ? names.join(' ') : undefined;
}
