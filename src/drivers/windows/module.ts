/**
 * The Windows driver as one module the library hands out on demand (`windowsDriver()` in
 * index.ts): the driver, the names its Win32 errors get, who holds a file in use, its path forms,
 * and its bindings' own checks (which functions this system lacks, the structure layouts koffi
 * uses). Loading it costs nothing on other systems; its calls work on Windows only.
 */
export { WindowsDriver } from './driver.js';
export { SYMLINK_PRIVILEGE_NOTE, win32Error, win32ErrorInfo, type Win32ErrorInfo } from './errors.js';
export { holdersOf, type Holder } from './holders.js';
export { longPath, plainPath, sameWindowsPath, volumeRootOf } from './paths.js';
export { missingFunctions, PROTOTYPES, STRUCTS, structLayouts } from './win32.js';
