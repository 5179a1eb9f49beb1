// Servers and settings: the JSON config file, validated at start, and the registry over the store.
export * from './load.js';
export * from './paths.js';
export * from './registry.js';
export * from './schema.js';
export * from './types.js';
