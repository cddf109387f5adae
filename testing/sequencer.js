const Sequencer = require('@jest/test-sequencer').default;

/**
 * Files known to run longest: each runs the Prisma CLI ~18 times. Jest orders files by how long
 * they took last time, and, with no record (a fresh clone, a new file), by size; these two are
 * small (their cases are in prisma-engine.cases.ts), so they would start last, and the run would
 * end waiting on them with the other worker idle.
 */
const LONGEST = /[\\/]prisma-engine[^\\/]*\.test\.ts$/;

/** Jest's own order, except that a file in LONGEST with no record yet starts before other files with none. */
class LongestFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const unknown = sorted.filter((test) => test.duration == null && !this.hasFailed(test));
    const first = unknown.filter((test) => LONGEST.test(test.path));
    if (first.length === 0) return sorted;
    const start = sorted.indexOf(unknown[0]);
    const rest = sorted.filter((test) => !first.includes(test));
    rest.splice(start, 0, ...first);
    return rest;
  }
}

module.exports = LongestFirst;
