const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Free space a run may need there: two workers' supergraphs, the templates and the Prisma CLI tests' clusters. */
const NEEDED_BYTES = 4 * 1024 ** 3;
const SHM = '/dev/shm';

/**
 * Where the tests' scratch data goes: TEST_TMPDIR when set; otherwise memory (/dev/shm) when the
 * machine has that much of it free; otherwise the system's temp dir, as before.
 */
function scratchRoot() {
  if (process.env.TEST_TMPDIR) return process.env.TEST_TMPDIR;
  try {
    const { bavail, bsize } = fs.statfsSync(SHM);
    fs.accessSync(SHM, fs.constants.W_OK);
    if (bavail * bsize >= NEEDED_BYTES) return path.join(SHM, 'commerce-tests');
  } catch {
    // no /dev/shm here (macOS, some containers)
  }
  return undefined;
}

/**
 * Runs once before any worker starts, so what it puts in process.env reaches every worker and
 * every process the tests start. The tests' scratch data is PGlite clusters (about 1,000 files
 * and 39 MB each, three per supergraph, copied from a migrated template and deleted again), and
 * on ext4 that copying and deleting took about 1.2 s of CPU per supergraph; on tmpfs it takes a
 * sixth of that. Everything that asks os.tmpdir() follows TMPDIR.
 */
module.exports = function globalSetup() {
  const root = scratchRoot();
  if (root) {
    fs.mkdirSync(root, { recursive: true });
    process.env.TMPDIR = root;
  }
  // Node 22.1+ keeps the bytecode of the modules it compiles here, so the many processes the tests
  // start (the Prisma CLI, its engine, whole services) skip most of their compiling after the first
  // one; the CLI alone spends ~0.2 s of its ~0.8 s on it. Older Node ignores the variable.
  process.env.NODE_COMPILE_CACHE ??= path.join(root ?? os.tmpdir(), 'node-compile-cache');
};
