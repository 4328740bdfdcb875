/** The configured components of one kind: a pure helper the domain can use without loading the config parser. */
import type { ComponentKind, ComponentOf, PipelineConfig } from '../config.js';

/** The components of one kind, in the order of the YAML. */
export function componentsOf<K extends ComponentKind>(
  config: Pick<PipelineConfig, 'components'>,
  kind: K,
): ComponentOf<K>[] {
  return config.components.filter((c): c is ComponentOf<K> => c.kind === kind);
}
