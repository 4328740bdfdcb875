/**
 * Ports whose adapter, client and client library are loaded on their first call. Loading the
 * Google client libraries (gax, the generated clients and their protos) takes about a second of
 * a cold start and 30 to 40 MB: the bot answers /healthz and acks without them, and a library
 * the bot never uses (Pub/Sub, until a heal triggers a phase) is never loaded.
 */

/** `load` run once, on the first call; a failed load is tried again by the next call. */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/**
 * A port (an object of async methods) that loads its implementation on the first call of any
 * method. Only method calls are forwarded: a port is never awaited, spread or enumerated.
 */
export function lazyPort<T extends object>(load: () => Promise<T>): T {
  const get = loadOnce(load);
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({} as T, {
    get(_target, prop) {
      // Not a thenable, whatever the port: `await port` must not call a method named `then`.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      let method = methods.get(prop);
      if (!method) {
        method = async (...args: unknown[]) => {
          const port = (await get()) as Record<string, unknown>;
          const fn = port[prop];
          if (typeof fn !== 'function') throw new TypeError(`the port has no method ${prop}`);
          return (fn as (...a: unknown[]) => unknown).apply(port, args);
        };
        methods.set(prop, method);
      }
      return method;
    },
  });
}
