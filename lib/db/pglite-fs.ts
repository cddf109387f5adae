import fs from 'node:fs';
import path from 'node:path';
import { NodeFS } from '@electric-sql/pglite/nodefs';

type EmscriptenOptions = Parameters<NodeFS['init']>[1];
type PostgresMod = Parameters<NonNullable<EmscriptenOptions['preRun']>[number]>[0];

/** The parts of Emscripten's NODEFS (the layer PGlite writes a Node data dir through) used here. */
interface NodefsInternals {
  node_ops: {
    mknod(parent: unknown, name: string, mode: number, dev: number): unknown;
    setattr(node: unknown, attr: { mode?: number }): void;
  };
  stream_ops: {
    setattr(stream: unknown, attr: { mode?: number }): void;
    fsync?: (stream: { nfd: number }) => number;
  };
}

/** Owner-only: the data dir holds emails, password hashes and the WAL of every change. */
const PRIVATE_BITS = 0o077;
const privateMode = (mode: number): number => mode & ~PRIVATE_BITS;

/**
 * PGlite's Node filesystem with two fixes, made where PGlite writes rather than after the fact:
 * - modes: Emscripten chmods every file it creates to the mode asked for (0666 when PGlite loads
 *   a cluster from a tarball), past the process umask; here group and other bits are dropped.
 * - fsync: Emscripten's NODEFS has no fsync, so PostgreSQL's fsync() returned without touching
 *   the disk whatever `fsync` said; here it calls fsync(2) when `durable` is set.
 */
export class PrivateNodeFS extends NodeFS {
  constructor(
    dataDir: string,
    private readonly durable: boolean,
  ) {
    fs.mkdirSync(path.resolve(dataDir), { recursive: true, mode: 0o700 });
    super(dataDir);
  }

  override async init(pg: Parameters<NodeFS['init']>[0], opts: EmscriptenOptions): ReturnType<NodeFS['init']> {
    // Patched before NodeFS's own preRun mounts the dir, so the first file written is private.
    const patch = (mod: PostgresMod): void => patchNodefs(mod.NODEFS, this.durable);
    return super.init(pg, { ...opts, preRun: [...(opts.preRun ?? []), patch] });
  }
}

function patchNodefs(nodefs: NodefsInternals, durable: boolean): void {
  const { node_ops: nodeOps, stream_ops: streamOps } = nodefs;
  const { mknod, setattr } = nodeOps;
  const setattrStream = streamOps.setattr;
  nodeOps.mknod = (parent, name, mode, dev) => mknod(parent, name, privateMode(mode), dev);
  nodeOps.setattr = (node, attr) => setattr(node, attr.mode === undefined ? attr : { ...attr, mode: privateMode(attr.mode) });
  streamOps.setattr = (stream, attr) => setattrStream(stream, attr.mode === undefined ? attr : { ...attr, mode: privateMode(attr.mode) });
  if (durable) {
    streamOps.fsync = (stream) => {
      fs.fsyncSync(stream.nfd);
      return 0;
    };
  }
}

/**
 * Makes `dir` owner-only: the dir 0700 and everything in it without group or other bits. Dirs
 * written before PrivateNodeFS (files 0666) are fixed on open; the dir's own 0700 alone already
 * keeps other users out.
 */
export function restrictTree(dir: string): void {
  const visit = (entry: string): void => {
    const stat = fs.lstatSync(entry);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & PRIVATE_BITS) !== 0) fs.chmodSync(entry, privateMode(stat.mode & 0o7777));
    if (stat.isDirectory()) for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
  };
  visit(dir);
}
