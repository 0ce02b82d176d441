// Preload (`node --import`) for kill tests: counts the filesystem calls that change the disk (open for
// writing, write, fsync, rename, mkdir, rm, copy) and SIGKILLs the process at call number
// FLEXMOE_KILL_AT_FS_CALL (1-based), before that call runs. With FLEXMOE_COUNT_FS_CALLS=1 it prints the total
// on exit as `fs-calls: N`, so a test can kill at every step of a command in turn.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const killAt = Number(process.env.FLEXMOE_KILL_AT_FS_CALL ?? 0);
const counting = process.env.FLEXMOE_COUNT_FS_CALLS === '1';
let calls = 0;

function step() {
  calls++;
  if (killAt > 0 && calls === killAt) process.kill(process.pid, 'SIGKILL');
}

const writesFlag = (flags) =>
  typeof flags === 'string'
    ? /[wa+]/.test(flags)
    : typeof flags === 'number' && (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0;

const syncNames = [
  'writeFileSync',
  'writeSync',
  'fsyncSync',
  'renameSync',
  'mkdirSync',
  'rmSync',
  'cpSync',
  'copyFileSync',
  'unlinkSync',
  'appendFileSync',
];
for (const name of syncNames) {
  const original = fs[name];
  fs[name] = function patched(...args) {
    step();
    return original.apply(this, args);
  };
}
const openSync = fs.openSync;
fs.openSync = function patchedOpenSync(path, flags, ...rest) {
  if (writesFlag(flags)) step();
  return openSync.call(this, path, flags, ...rest);
};

const promiseNames = ['writeFile', 'rename', 'mkdir', 'rm', 'cp', 'copyFile', 'unlink', 'appendFile'];
for (const name of promiseNames) {
  const original = fs.promises[name];
  fs.promises[name] = async function patched(...args) {
    step();
    return original.apply(this, args);
  };
}
const open = fs.promises.open;
fs.promises.open = async function patchedOpen(path, flags, ...rest) {
  if (writesFlag(flags)) step();
  const handle = await open.call(this, path, flags, ...rest);
  for (const m of ['write', 'sync', 'writeFile']) {
    const original = handle[m].bind(handle);
    handle[m] = async (...args) => {
      step();
      return original(...args);
    };
  }
  return handle;
};
syncBuiltinESMExports();

if (counting) process.on('exit', () => process.stderr.write(`fs-calls: ${calls}\n`));
