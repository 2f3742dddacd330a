// Shared harness of the browser tests: the repository paths, the real server on 127.0.0.1 with an
// ephemeral port, headless Debian chromium through playwright-core, and the pass/fail counting
// that ends with "NAME: N passed, N failed". Importing it creates build/screenshots/.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bin = process.env.PPROFWEB_BIN || path.join(root, 'build/pprofweb');
export const shots = path.join(root, 'build/screenshots');
fs.mkdirSync(shots, {recursive: true});

// Starts build/pprofweb -http=127.0.0.1:0 -no_browser ARGS in the repository root and waits up to
// opts.timeout ms for "Serving web UI on http://...". Resolves to {proc, url, stop}; stop() sends
// SIGTERM and resolves to the exit code.
export function startServer(args, {timeout = 10000} = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ['-http=127.0.0.1:0', '-no_browser', ...args], {cwd: root});
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + out)), timeout);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/Serving web UI on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve({proc, url: m[1], stop: () => stopServer(proc)}); }
    });
    proc.stderr.on('data', (d) => { out += d; });
    proc.on('exit', () => reject(new Error('server exited: ' + out)));
  });
}

function stopServer(proc) {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

// Launches headless /usr/bin/chromium; opts.disableQuic (default true) adds --disable-quic.
// playwright starts chromium with a fresh temporary --user-data-dir of its own.
export function launchBrowser({disableQuic = true} = {}) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', ...(disableQuic ? ['--disable-quic'] : []),
      '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// checker(): counts assertions. check(cond, msg) passes when cond is truthy and prints "FAIL: msg"
// otherwise; summary(name) prints "NAME: N passed, N failed" and returns the exit code;
// run(name, main) runs the async main, counts an exception as a failure, prints the summary and
// exits with 1 when anything failed.
export function checker() {
  const t = {
    passed: 0,
    failed: 0,
    check(cond, msg) {
      if (cond) t.passed++;
      else { t.failed++; console.log('FAIL: ' + msg); }
    },
    summary(name) {
      console.log(`${name}: ${t.passed} passed, ${t.failed} failed`);
      return t.failed ? 1 : 0;
    },
    run(name, main) {
      return main().catch((e) => {
        t.failed++;
        console.log('FAIL: ' + (e.stack || e));
      }).finally(() => {
        process.exit(t.summary(name));
      });
    },
  };
  return t;
}

// --- protobuf wire format, enough to write test profiles (raw profile.proto is accepted) ---
export function varint(n) {
  const b = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    b.push(byte);
  } while (v);
  return b;
}
export const field = (num, wire, payload) => [...varint((num << 3) | wire), ...payload];
export const vfield = (num, v) => field(num, 0, varint(v));
export const bfield = (num, bytes) => field(num, 2, [...varint(bytes.length), ...bytes]);
