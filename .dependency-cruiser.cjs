/**
 * Import rules for backend/src (`npm run deps`), the layer order of the design: each layer imports only
 * the layers below it, its own folder and the foundations. Rule names start with the kind of breach
 * (`circle`, `layer`, `foundation`, `root`) so the summary can count them apart.
 */
const SRC = '^backend/src/';

/** Top to bottom. web and cli share the top rank: both sit above jobs, and neither may import the other. */
const LAYERS = ['jobs', 'apply', 'verify', 'profile', 'diagnose', 'plesk', 'passenger', 'ssh'];
const TOP = ['web', 'cli'];
const ALL_LAYERS = [...TOP, ...LAYERS];

/** Shared by every layer; they import no layer themselves (store is at the very bottom). */
const FOUNDATIONS = `${SRC}(config/|store/|errors\\.ts$|events\\.ts$)`;

const folder = (names) => `${SRC}(${names.join('|')})/`;

const layerRules = LAYERS.map((layer, rank) => ({
  name: `layer: ${layer}/ imports an upper layer`,
  comment: `${layer}/ may import only ${LAYERS.slice(rank + 1).join(', ') || 'no other layer'} and the foundations; hand it what it needs from above instead.`,
  severity: 'error',
  from: { path: folder([layer]) },
  to: { path: folder([...TOP, ...LAYERS.slice(0, rank)]) },
}));

const topRules = TOP.map((top) => {
  const other = TOP.find((name) => name !== top);
  return {
    name: `layer: ${top}/ imports ${other}/`,
    comment: `${top}/ and ${other}/ are both front ends: main.ts wires what one needs from the other.`,
    severity: 'error',
    from: { path: folder([top]) },
    to: { path: folder([other]) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'circle: import cycle',
      comment: 'Modules import each other (directly or through others): move the shared part down a layer.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...topRules,
    ...layerRules,
    {
      name: 'foundation: imports a layer',
      comment: 'config/, store/, errors.ts and events.ts sit below every layer: define the type here and let the layer import it.',
      severity: 'error',
      from: { path: FOUNDATIONS },
      to: { path: folder(ALL_LAYERS) },
    },
    {
      name: 'root: main.ts imported',
      comment: 'main.ts is the composition root: it hands services to cli/ and web/, nothing imports it back.',
      severity: 'error',
      from: { path: SRC },
      to: { path: `${SRC}main\\.ts$` },
    },
    {
      name: 'layer: unknown folder',
      comment: 'Every module under backend/src belongs to a layer or a foundation: add the new folder to .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: SRC, pathNot: `${FOUNDATIONS}|${folder(ALL_LAYERS)}|${SRC}main\\.ts$` },
      to: {},
    },
    {
      name: 'unresolvable import',
      comment: 'The import names a file or package that does not exist.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no compiler API for dependency-cruiser; swc reads the sources, type-only imports included.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
