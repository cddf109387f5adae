import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sparticuz from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/**
 * A headless Chromium for the browser tests, with nothing installed beside `npm install`:
 * - `CHROMIUM_PATH` set (for example Debian's /usr/bin/chromium): that browser;
 * - otherwise the Chromium shipped inside the `@sparticuz/chromium` npm package, unpacked into the
 *   temp dir on first use, with the NSS libraries the package ships for it, so the system needs
 *   none of Chromium's own.
 * Launching fails loudly when neither works: a browser test never skips itself.
 */
export async function launchChromium(): Promise<Browser> {
  const configured = process.env.CHROMIUM_PATH;
  const bundled = configured ? undefined : await bundledChromium();
  return chromium.launch({
    executablePath: configured ?? bundled?.executablePath,
    env: bundled ? { ...process.env, LD_LIBRARY_PATH: joinPaths(bundled.libraryPath, process.env.LD_LIBRARY_PATH) } : undefined,
    // As root in a container, with no network beyond this machine: no sandbox, no background calls
    // home (closed ports refuse them by the dozen otherwise). Not the package's own serverless flags:
    // they include --disable-web-security, which would turn off the CORS the tests check.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

async function bundledChromium(): Promise<{ executablePath: string; libraryPath: string }> {
  // Only the browser: no SwiftShader (WebGL), which these tests do not draw with.
  sparticuz.setGraphicsMode = false;
  const executablePath = await sparticuz.executablePath();
  return { executablePath, libraryPath: unpackLibraries() };
}

/**
 * The package's `bin/al2023.tar.br` (NSS, NSPR and expat, built for the binary) unpacked once per
 * package version into the temp dir; written beside and renamed into place, so a concurrent run
 * never sees half a folder.
 */
function unpackLibraries(): string {
  // The package exports only its entry point (build/cjs/index.cjs), two folders below its root.
  const packageDir = path.resolve(path.dirname(require.resolve('@sparticuz/chromium')), '..', '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const target = path.join(os.tmpdir(), `sparticuz-chromium-${version}-libs`);
  if (!fs.existsSync(target)) {
    const staging = fs.mkdtempSync(`${target}-`);
    const tarball = path.join(staging, 'libs.tar');
    fs.writeFileSync(tarball, zlib.brotliDecompressSync(fs.readFileSync(path.join(packageDir, 'bin', 'al2023.tar.br'))));
    execFileSync('tar', ['-xf', tarball, '-C', staging]);
    fs.rmSync(tarball);
    try {
      fs.renameSync(staging, target);
    } catch (error) {
      // Another run got there first: theirs is the same content.
      fs.rmSync(staging, { recursive: true, force: true });
      if (!fs.existsSync(target)) throw error;
    }
  }
  return path.join(target, 'lib');
}

function joinPaths(first: string, rest: string | undefined): string {
  return rest ? `${first}${path.delimiter}${rest}` : first;
}
