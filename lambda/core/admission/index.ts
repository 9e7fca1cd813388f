/** Admission of the vend path (docs/ARCHITECTURE.md, "Glossary"): its ports, arithmetic and policy. */
export * from './gcra';
export * from './policy';
export * from './media-limits';
export * from './ports';
export * from './pruned-sets';
