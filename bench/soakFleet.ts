/**
 * The soak's service processes: W web (ROLE=web) and M worker (ROLE=worker) `talkshop serve`
 * processes started from the build, a worker killed with SIGKILL and started again on demand, and
 * each process's resident memory sampled from /proc (the peak per process slot is reported).
 */
import { readFileSync } from 'node:fs';
import { spawnReady, type ReadyProcess } from '../tests/support/spawnReady';
import { processCpuSeconds, stopProcess } from './processes';

export interface FleetOptions {
  /** dist/src/cli/main.js of the build to run. */
  readonly cli: string;
  readonly env: Record<string, string | undefined>;
  readonly webs: number;
  readonly workers: number;
  readonly webEnv: Record<string, string | undefined>;
  readonly log: (msg: string) => void;
}

/** VmRSS of a process in MB (0 when it is gone). */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return 0;
  }
}

export class SoakFleet {
  readonly webs: ReadyProcess[] = [];
  /** Each web process's admin listener (ADMIN_PORT=0: its own free port), from its start-up log. */
  readonly adminPorts: number[] = [];
  readonly workers: Array<ReadyProcess | undefined> = [];
  /** Every process started, dead ones included, so stop() reaps them all. */
  private readonly all: ReadyProcess[] = [];
  readonly webPeakMb: number[] = [];
  readonly workerPeakMb: number[] = [];
  readonly restartMs: number[] = [];
  /** CPU seconds each process used, as last read (a killed one keeps its reading from just before the kill). */
  private readonly cpu = new Map<ReadyProcess, { readonly role: 'web' | 'worker'; seconds: number }>();
  kills = 0;
  private closing = false;

  private constructor(private readonly o: FleetOptions) {}

  static async start(o: FleetOptions): Promise<SoakFleet> {
    const fleet = new SoakFleet(o);
    try {
      for (let i = 0; i < o.workers; i++) fleet.workers.push(await fleet.spawn('worker'));
      for (let i = 0; i < o.webs; i++) {
        const web = await fleet.spawn('web');
        fleet.webs.push(web);
        fleet.adminPorts.push(Number(web.logs.find((l) => l.msg === 'admin API listening')?.port ?? 0));
      }
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  private async spawn(role: 'web' | 'worker'): Promise<ReadyProcess> {
    const env = { ...this.o.env, ROLE: role, ...(role === 'web' ? this.o.webEnv : { ADMIN_TOKEN: '', ADMIN_TOKENS: '' }) };
    const proc = await spawnReady([this.o.cli, 'serve'], { env, readyMsg: 'talkshop ready', timeoutMs: 120_000 });
    this.all.push(proc);
    this.cpu.set(proc, { role, seconds: 0 });
    void proc.exited().then((code) => {
      if (!this.closing && !(proc.proc.signalCode === 'SIGKILL'))
        this.o.log(`a ${role} process (pid ${proc.proc.pid}) exited by itself with ${code}`);
    });
    return proc;
  }

  /** kill -9 worker `i` (no chance to ack, release its leases or close its sockets), then start a new one. */
  async killAndRestart(i: number): Promise<void> {
    const w = this.workers[i];
    if (w === undefined) return;
    this.workers[i] = undefined;
    this.readCpu(w);
    w.proc.kill('SIGKILL');
    await w.exited();
    this.kills += 1;
    const started = Date.now();
    this.workers[i] = await this.spawn('worker');
    this.restartMs.push(Date.now() - started);
  }

  /** Also drops the log lines kept so far (nothing reads them after the start; ten minutes of them would weigh here). */
  sampleRss(): void {
    for (const p of this.all) p.logs.length = 0;
    for (const p of this.all) this.readCpu(p);
    this.webs.forEach((w, i) => (this.webPeakMb[i] = Math.max(this.webPeakMb[i] ?? 0, rssMb(w.proc.pid))));
    this.workers.forEach((w, i) => (this.workerPeakMb[i] = Math.max(this.workerPeakMb[i] ?? 0, rssMb(w?.proc.pid))));
  }

  private readCpu(p: ReadyProcess): void {
    const entry = this.cpu.get(p);
    const now = p.proc.exitCode === null && p.proc.signalCode === null ? processCpuSeconds(p.proc.pid) : 0;
    if (entry && now > entry.seconds) entry.seconds = now;
  }

  /** CPU seconds used by every web and every worker process so far, the killed ones included. */
  cpuSeconds(): { web: number; worker: number } {
    const sum = (role: 'web' | 'worker') =>
      Math.round([...this.cpu.values()].filter((c) => c.role === role).reduce((a, c) => a + c.seconds, 0) * 10) / 10;
    return { web: sum('web'), worker: sum('worker') };
  }

  /** Ports serving /metrics and /readyz now. */
  workerPorts(): number[] {
    return this.workers.filter((w): w is ReadyProcess => w !== undefined).map((w) => w.port);
  }

  async stop(): Promise<void> {
    this.closing = true;
    await Promise.all(this.all.map((p) => stopProcess(p.proc, p.exited())));
  }
}
