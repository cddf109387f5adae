import fs from 'node:fs';

/**
 * The environment the container image gives every service (Dockerfile), so benchmarks measure
 * memory as production runs. MALLOC_ARENA_MAX=2: glibc otherwise gives each thread that allocates
 * a malloc arena of its own and keeps what is freed there resident. libuv's threads hash
 * passwords (scrypt, 16 MiB a hash) and compress. In two consecutive runs of
 * `npm run bench -- gateways 10 1 mix` on PostgreSQL the users service idled at 341 MiB RSS
 * without it and 231 MiB with it; products at 245 and 213, the router at 169 and 150.
 */
export const IMAGE_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** Linux reports process CPU time in clock ticks of 10 ms (getconf CLK_TCK). */
const TICK_MS = 10;

/** A process's resident memory now, in MiB (/proc/<pid>/status). */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** User plus system CPU time of a process so far, in milliseconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
