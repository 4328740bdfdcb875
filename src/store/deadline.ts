/**
 * A deadline on every call to the bot's own state in Firestore, like the adapters' calls to
 * Google: a store that does not answer rejects after `ms` instead of holding an ack or a run
 * forever. The engine turns the rejection into "the request store did not answer"; a write
 * that lands after its deadline leaves a request that the sweep shows as interrupted.
 */
export class StoreDeadlineExceeded extends Error {
  override readonly name = 'StoreDeadlineExceeded';
}

export function withDeadline<T extends object>(target: T, ms: number, what: string): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(obj, args);
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new StoreDeadlineExceeded(`${what}.${String(prop)}: no answer within ${ms / 1000} s`)),
            ms,
          );
          timer.unref();
        });
        return Promise.race([result, timeout]).finally(() => clearTimeout(timer));
      };
    },
  });
}
