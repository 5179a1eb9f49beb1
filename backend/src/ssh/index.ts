// The SSH layer: the only place that talks to servers. Everything above builds commands as argument lists.
export * from './errors.js';
export * from './quote.js';
export * from './hostKeys.js';
export * from './session.js';
export * from './pool.js';
export * from './files.js';
export * from './runner.js';
