/**
 * Concurrent callers for one key share one computation, and its result is reused for `ttlMs`.
 * `fresh` skips a cached result unless its computation began at or after `notBefore` (the time
 * the caller was asked), and still joins a computation in flight: a burst of `--fresh` commands
 * shares the reports begun after each was sent instead of starting one each as the last ends.
 */
export class SingleFlightCache<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly cached = new Map<string, { at: number; startedAt: number; value: T }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 64,
  ) {}

  async get(
    key: string,
    compute: () => Promise<T>,
    opts: { fresh?: boolean; notBefore?: number } = {},
  ): Promise<T> {
    const hit = this.cached.get(key);
    if (hit) {
      const usable = opts.fresh
        ? opts.notBefore !== undefined && hit.startedAt >= opts.notBefore
        : this.now() - hit.at < this.ttlMs;
      if (usable) return hit.value;
    }
    const running = this.inFlight.get(key);
    if (running) return running;
    const startedAt = this.now();
    const p = compute()
      .then((value) => {
        if (this.ttlMs > 0) {
          this.cached.delete(key);
          this.cached.set(key, { at: this.now(), startedAt, value });
          // Bounded: drop the oldest entries (Map keeps insertion order).
          while (this.cached.size > this.maxEntries)
            this.cached.delete(this.cached.keys().next().value as string);
        }
        return value;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  invalidate(key?: string): void {
    if (key === undefined) this.cached.clear();
    else this.cached.delete(key);
  }
}
