// The import rules of linkplan's source, checked by `npm run lint` (dependency-cruiser): no
// import cycle anywhere; core/ (the vocabulary) imports nothing else of linkplan; the manifest
// loader and the planner see drivers only through their interface (drivers/driver.ts), never an
// implementation; and koffi is imported by the files that bind native calls, nowhere else.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'an import cycle: each module of it waits on the others to load; move what they share into a module of its own',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing',
      severity: 'error',
      comment: 'core/ is the vocabulary every layer shares: it imports no other part of linkplan',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'no-driver-implementation-in-manifest-or-plan',
      severity: 'error',
      comment: 'the manifest loader and the planner work through the Driver interface (drivers/driver.ts); the caller picks the implementation',
      from: { path: '^src/(manifest|plan)/' },
      to: { path: '^src/drivers/', pathNot: '^src/drivers/driver\\.ts$' },
    },
    {
      name: 'koffi-only-in-bindings',
      severity: 'error',
      comment: 'native calls are bound in one file per platform; everything else calls those',
      from: { path: '^src/', pathNot: '^src/drivers/(posix-at|ntfs3g/libc|windows/win32)\\.ts$' },
      to: { path: 'node_modules/koffi/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
