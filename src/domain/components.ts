/**
 * The configured components of one kind: a pure helper the domain can use without loading the
 * config parser. Generic over the component type, so it imports nothing (config.ts uses it too).
 */

/** The components of one kind, in the order of the YAML. */
export function componentsOf<C extends { kind: string }, K extends C['kind']>(
  config: { components: readonly C[] },
  kind: K,
): Extract<C, { kind: K }>[] {
  return config.components.filter((c): c is Extract<C, { kind: K }> => c.kind === kind);
}
