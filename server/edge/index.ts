// The edge tier's public surface, and wrangler's entry point (wrangler.toml `main`): the Worker's
// fetch handler and the Durable Object class. The runtime takes only handlers and classes as a
// module's values; everything else here is a type.
export type { EdgeEnv } from './config.ts';
export type { EdgeLimits } from './limits.ts';
export { PrefixObject } from './prefix-object.ts';
export { default } from './worker.ts';
