/**
 * run_history in memory, for the offline demo on a machine without the Firestore emulator.
 * Reads the sandbox scenario's documents; same contract as the Firestore adapter.
 */
import type { PipelineConfig } from '../config.js';
import type {
  IsoDate,
  RunHistoryControl,
  RunHistoryPort,
  RunHistorySnapshot,
  RunRecord,
} from '../domain/ports.js';
import { fail, ok } from '../domain/result.js';

export interface MemoryDoc {
  id: string;
  data: Record<string, unknown>;
}

const iso = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : undefined;

export function createMemoryRunHistory(
  docs: () => MemoryDoc[],
  config: PipelineConfig['runHistory'],
): RunHistoryPort & RunHistoryControl {
  const versions = new Map<string, number>();
  const version = (id: string) => String(versions.get(id) ?? 0);
  const toRecord = (d: MemoryDoc): RunRecord => {
    const startedAt = iso(d.data[config.fields.startedAt]);
    const finishedAt = config.fields.finishedAt ? iso(d.data[config.fields.finishedAt]) : undefined;
    const error = config.fields.error ? d.data[config.fields.error] : undefined;
    return {
      id: d.id,
      processor: String(d.data[config.fields.processor] ?? ''),
      date: String(d.data[config.fields.date] ?? ''),
      status: String(d.data[config.fields.status] ?? ''),
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
      ...(typeof error === 'string' && error !== '' ? { error: error.slice(0, 500) } : {}),
    };
  };
  return {
    async runsForDate(date: IsoDate) {
      return ok(
        docs()
          .filter((d) => d.data[config.fields.date] === date)
          .map(toRecord),
      );
    },
    async stuckRuns(before: Date) {
      return ok(
        docs()
          .map(toRecord)
          .filter(
            (r) =>
              r.status === config.runningStatus && r.startedAt && Date.parse(r.startedAt) < before.getTime(),
          ),
      );
    },
    async snapshot(ids) {
      const all = docs();
      return ok(
        ids.map((id): RunHistorySnapshot => {
          const d = all.find((x) => x.id === id);
          return d
            ? { id, exists: true, data: JSON.parse(JSON.stringify(d.data)), updateTime: version(id) }
            : { id, exists: false };
        }),
      );
    },
    async deleteIfUnchanged(targets) {
      const all = docs();
      const changed = targets.filter(
        (t) =>
          t.updateTime !== undefined && (!all.some((d) => d.id === t.id) || version(t.id) !== t.updateTime),
      );
      if (changed.length > 0)
        return fail('invalid', `nothing deleted: ${changed.map((c) => c.id).join(', ')} changed`);
      let n = 0;
      for (const t of targets) {
        if (t.updateTime === undefined) continue;
        const i = all.findIndex((d) => d.id === t.id);
        if (i >= 0) {
          all.splice(i, 1);
          versions.set(t.id, (versions.get(t.id) ?? 0) + 1);
          n++;
        }
      }
      return ok(n);
    },
    async restore(snapshots) {
      const all = docs();
      for (const s of snapshots) {
        const i = all.findIndex((d) => d.id === s.id);
        const doc = { id: s.id, data: JSON.parse(JSON.stringify(s.data)) };
        if (i >= 0) all[i] = doc;
        else all.push(doc);
        versions.set(s.id, (versions.get(s.id) ?? 0) + 1);
      }
      return ok(snapshots.length);
    },
  };
}
