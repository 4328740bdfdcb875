/** Small pure helpers the evaluators share to describe things in words. */
import type { Failure } from '../result.js';

/** "no answer" for a timeout, the failure's message otherwise. */
export function describeFailure(f: Failure): string {
  switch (f.kind) {
    case 'timeout':
      return `no answer (${f.message})`;
    case 'not_found':
      return 'not found';
    case 'denied':
      return `permission denied: ${f.message}`;
    case 'unavailable':
      return `API unavailable: ${f.message}`;
    default:
      return `error: ${f.message}`;
  }
}

/** `nba-phase3-analytics-processors-00092-zvl` → `00092-zvl`: the service name is already on the line. */
export function shortRevision(service: string, rev: string | undefined): string {
  if (!rev) return '—';
  return rev.startsWith(`${service}-`) ? rev.slice(service.length + 1) : rev;
}

export function formatMinutes(min: number): string {
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/** `12 min ago`, `in 3 h 5 min`, `never`. */
export function ago(iso: string | undefined, now: Date): string {
  if (!iso) return 'never';
  const min = Math.round((now.getTime() - Date.parse(iso)) / 60_000);
  if (min < 0) return `in ${formatMinutes(-min)}`;
  return `${formatMinutes(min)} ago`;
}
