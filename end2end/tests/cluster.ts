// Two release instances on one fresh PostgreSQL database, behind a real nginx running the
// repository's configuration (deploy/nginx.conf, as scripts/nginx-conf.sh --pinned writes
// it): one port balances as deployed, and one port per instance always goes to that
// instance, so a test can pin a browser to each. Every response's `x-upstream` header names
// the instance (`127.0.0.1:<port>`) it came from.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OwnServer, unique, waitUntilHealthy } from './server';

const root = path.resolve(__dirname, '..', '..');
const POSTGRES = 'postgres://postgres@127.0.0.1:5432';

export class Cluster {
  /** Balanced across the instances, as deployed. */
  readonly url: string;
  /** Through nginx to instance i only. */
  readonly pinned: string[];
  readonly instances: OwnServer[];
  private readonly database = unique('murmur_e2e').replaceAll('-', '_');
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'murmur-nginx-'));
  private nginx?: ChildProcess;

  /** Ports from `base`: nginx at base, base+1…; the instances at base+11…. */
  constructor(
    private readonly base: number,
    count = 2,
  ) {
    this.url = `http://127.0.0.1:${base}`;
    this.pinned = Array.from({ length: count }, (_, i) => `http://127.0.0.1:${base + 1 + i}`);
    this.instances = Array.from(
      { length: count },
      (_, i) =>
        new OwnServer(base + 11 + i, `${POSTGRES}/${this.database}`, { MURMUR_TRUSTED_PROXIES: '127.0.0.1' }),
    );
  }

  async start() {
    psql(`CREATE DATABASE ${this.database}`);
    // One after the other: each applies the migrations at start.
    for (const instance of this.instances) await instance.start();
    const ports = this.instances.map((instance) => String(instance.port));
    const config = execFileSync(path.join(root, 'scripts', 'nginx-conf.sh'), ['--pinned', String(this.base), ...ports]);
    writeFileSync(path.join(this.dir, 'nginx.conf'), config);
    // Its workers may run as another user, which must reach its temporary files.
    mkdirSync(path.join(this.dir, 'tmp'));
    chmodSync(this.dir, 0o755);
    chmodSync(path.join(this.dir, 'tmp'), 0o777);
    this.nginx = spawn('nginx', ['-p', this.dir, '-c', path.join(this.dir, 'nginx.conf'), '-g', 'daemon off; master_process off;'], {
      stdio: 'inherit',
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` },
    });
    for (const url of [this.url, ...this.pinned]) await waitUntilHealthy(url, 30_000);
  }

  async stop() {
    this.nginx?.kill();
    for (const instance of this.instances) await instance.stop();
    psql(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
    rmSync(this.dir, { recursive: true, force: true });
  }

}

function psql(command: string) {
  execFileSync('psql', [`${POSTGRES}/postgres`, '-qc', command], { stdio: 'inherit' });
}
