// A Windows process that holds a file open with no sharing at all, as an editor or a game
// launcher may, until told to let go: run by the Windows build of Node (under Wine by
// test/wine/driver-checks.mjs, on Windows by test/windows/holders.test.ts). Arguments: a file:
// URL or path koffi is found from, the file to hold, a file to write once it is held (the Win32
// handle, or `error <code>`), and a file whose appearance means let go (it also lets go after 60 s).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const [koffiFrom, file, ready, stop] = process.argv.slice(2);
const koffi = createRequire(koffiFrom)('koffi');
const kernel32 = koffi.load('kernel32.dll');
const CreateFileW = kernel32.func('intptr_t __stdcall CreateFileW(const char16_t *name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, intptr_t template)');
const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
// GENERIC_READ | GENERIC_WRITE, share nothing, OPEN_EXISTING
const h = CreateFileW(file, 0xc0000000, 0, null, 3, 0, 0);
const said = h === -1 ? `error ${GetLastError()}` : String(h);
// (whole or not at all: the reader polls for the file)
fs.writeFileSync(`${ready}.part`, said);
fs.renameSync(`${ready}.part`, ready);
const until = Date.now() + 60_000;
while (!fs.existsSync(stop) && Date.now() < until) await sleep(50);
