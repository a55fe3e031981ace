import type { Agent } from 'node:http';
import { textMessageBody } from '../src/cli/sendEvent';
import type { FakeCall, FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { TEST_PAGE } from '../tests/support/testEnv';
import { get, keepAlive, postSigned } from '../tests/support/webhookClient';
import { percentile } from './loadgen';

/** The start of the shipped flows' answer to "menu": exactly one message per "menu". */
const MENU_REPLY = 'Pick one';
const REPLY_TIMEOUT_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const textOf = (c: FakeCall) => (c.body as { message?: { text?: unknown } } | undefined)?.message?.text;

export interface LiveFigures {
  readonly liveSamples: number;
  readonly liveTimeouts: number;
  readonly liveP50Ms: number;
  readonly liveP99Ms: number;
  readonly liveMaxMs: number;
}

/**
 * A customer talking to the bot while a broadcast goes out: says "menu" about every `everyMs`
 * (waiting for each reply first, so replies are matched by count), and records the latency from the
 * webhook POST to the reply's Send API call at the fake. Also counts every message the Page sent
 * them (each took a token of the Page's rate, at live priority), with its time.
 */
export class LiveCustomer {
  private readonly replies: number[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly agent: Agent = keepAlive(4);
  private readonly unsubscribe: () => void;
  private seq = 0;
  /** Arrival times of every message sent to this customer (their share of the Page's rate). */
  readonly sends: number[] = [];

  constructor(
    fake: FakeGraphApi,
    private readonly psid: string,
    private readonly port: () => number,
  ) {
    this.unsubscribe = fake.onCall((call) => {
      if (call.endpoint !== 'messages' || call.status !== 200 || call.recipientId !== psid) return;
      this.sends.push(call.at);
      if (String(textOf(call) ?? '').startsWith(MENU_REPLY)) {
        this.replies.push(call.at);
        for (const w of this.waiters) w();
      }
    });
  }

  private reply(n: number): Promise<number | undefined> {
    if (this.replies.length >= n) return Promise.resolve(this.replies[n - 1]);
    return new Promise((resolve) => {
      const done = () => {
        if (this.replies.length < n) return;
        this.waiters.delete(done);
        clearTimeout(timer);
        resolve(this.replies[n - 1]);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(undefined);
      }, REPLY_TIMEOUT_MS);
      this.waiters.add(done);
    });
  }

  /** One "menu" and its reply's latency (undefined: no reply in time). */
  async ask(): Promise<number | undefined> {
    const expected = this.replies.length + 1;
    const sentAt = Date.now();
    const body = textMessageBody(TEST_PAGE, this.psid, 'menu', sentAt, `m_live_${this.psid}_${this.seq++}_${sentAt}`);
    const res = await postSigned(this.port(), body, this.agent);
    if (res.status !== 200) throw new Error(`live customer's webhook POST answered ${res.status}`);
    const at = await this.reply(expected);
    return at === undefined ? undefined : at - sentAt;
  }

  /** Talks until `stop()` says so; the latency figures of every exchange. */
  async talk(everyMs: number, stop: () => boolean): Promise<LiveFigures> {
    const samples: number[] = [];
    let timeouts = 0;
    while (!stop()) {
      const started = Date.now();
      const ms = await this.ask();
      if (ms === undefined) timeouts += 1;
      else samples.push(ms);
      await sleep(Math.max(0, everyMs - (Date.now() - started)));
    }
    const sorted = Float64Array.from(samples).sort();
    const r1 = (n: number) => Math.round(n * 10) / 10;
    return {
      liveSamples: samples.length,
      liveTimeouts: timeouts,
      liveP50Ms: r1(percentile(sorted, 50)),
      liveP99Ms: r1(percentile(sorted, 99)),
      liveMaxMs: r1(percentile(sorted, 100)),
    };
  }

  close(): void {
    this.unsubscribe();
    this.agent.destroy();
  }
}

/**
 * The service's talkshop_reply_delay_seconds histogram (the live customer's replies are its only
 * RESPONSE sends): per stage (inbox: ingress to commit; outbox: commit to the call), how many
 * replies took at most each bucket's seconds, so a slow reply's time can be placed.
 */
export async function replyDelayBuckets(port: number): Promise<Record<string, Record<string, number>>> {
  const text = (await get(port, '/metrics')).body;
  const out: Record<string, Record<string, number>> = {};
  for (const m of text.matchAll(/^talkshop_reply_delay_seconds_bucket\{([^}]*)\} (\d+)$/gm)) {
    const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const stage = labels.stage ?? '?';
    (out[stage] ??= {})[labels.le ?? '?'] = Number(m[2]);
  }
  return out;
}
