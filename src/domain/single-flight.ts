/**
 * Concurrent callers for one key share one computation, and its result is reused for
 * `ttlMs`. `fresh` skips the cached result but still joins a computation in flight.
 */
export class SingleFlightCache<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly cached = new Map<string, { at: number; value: T }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 64,
  ) {}

  async get(key: string, compute: () => Promise<T>, opts: { fresh?: boolean } = {}): Promise<T> {
    if (!opts.fresh) {
      const hit = this.cached.get(key);
      if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    }
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = compute()
      .then((value) => {
        if (this.ttlMs > 0) {
          this.cached.delete(key);
          this.cached.set(key, { at: this.now(), value });
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
