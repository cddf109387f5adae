import fs from 'node:fs';

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
