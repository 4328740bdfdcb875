/**
 * BigQuery table metadata (tables.get): when a table was last written, for freshness rules.
 * One GET per table through the client's own transport, under `guarded`'s deadline.
 */
import type { BigQuery } from '@google-cloud/bigquery';
import type { TableInfo, TablesPort } from '../domain/ports.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { guarded } from './call.js';

export interface TablesOptions {
  bigquery: BigQuery;
  deadlineMs: number;
}

/** `dataset.table` as the config validates it; nothing else reaches a URL. */
const tableName = /^([A-Za-z0-9_]+)\.([A-Za-z0-9_$-]+)$/;

/** The parts of a Table resource read here (BigQuery REST reference, tables#Table). */
interface TableResource {
  lastModifiedTime?: string;
  numRows?: string;
}

export function createTablesAdapter(options: TablesOptions): TablesPort {
  const { bigquery, deadlineMs } = options;
  return {
    async getTable(name: string): Promise<Probe<TableInfo>> {
      const m = tableName.exec(name);
      if (!m) return fail('invalid', `${name} is not dataset.table`);
      const uri = `/datasets/${encodeURIComponent(m[1]!)}/tables/${encodeURIComponent(m[2]!)}`;
      const probe = await guarded(
        { deadlineMs },
        () =>
          new Promise<TableResource>((resolve, reject) => {
            bigquery.request({ method: 'GET', uri }, (error, body) =>
              error ? reject(error) : resolve(body as TableResource),
            );
          }),
      );
      if (!probe.ok) return probe;
      // Epoch milliseconds as a string.
      const ms = Number(probe.value.lastModifiedTime);
      const rows = Number(probe.value.numRows);
      return ok({
        name,
        ...(Number.isFinite(ms) && ms > 0 ? { lastModifiedTime: new Date(ms).toISOString() } : {}),
        ...(Number.isFinite(rows) ? { numRows: rows } : {}),
      });
    },
  };
}
