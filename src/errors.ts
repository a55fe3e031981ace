/**
 * The few named errors Talkshop throws. Expected outcomes are tagged unions; these are for the
 * unexpected, and each carries a stable `code` that logs and tests can match on.
 */
export type ErrorCode =
  'CONFIG_INVALID' | 'FLOWS_INVALID' | 'STORE_UNAVAILABLE' | 'STORE_CORRUPT' | 'STORE_NOT_OURS' | 'GRAPH_ERROR';

export class TalkshopError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Start-up configuration is wrong; the message lists every bad variable. */
export class ConfigError extends TalkshopError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** The flow files do not pass the linter; the message lists every problem with its fix. */
export class FlowsInvalidError extends TalkshopError {
  constructor(dir: string, problems: readonly string[]) {
    super('FLOWS_INVALID', `Flows in ${dir} refused:\n${problems.join('\n')}\nRun \`npm run flows:check\` after fixing them.`);
  }
}

/** The store (Redis) did not answer in time or refused; callers answer 503 and retry later. */
export class StoreUnavailableError extends TalkshopError {
  constructor(operation: string, cause?: unknown) {
    super('STORE_UNAVAILABLE', `Store unavailable during ${operation}; is Redis reachable at REDIS_URL?`, { cause });
  }
}

/**
 * The store (a Redis key prefix) belongs to another Page, or (for the demo, which only uses a
 * store it created) holds data with no owner marker: nothing was read or written. `owner` is the
 * Page its marker names, null for unmarked data.
 */
export class StoreOwnerError extends TalkshopError {
  constructor(
    readonly where: string,
    readonly pageId: string,
    readonly owner: string | null,
  ) {
    super(
      'STORE_NOT_OURS',
      owner === null
        ? `${where} already holds data that this start (Page ${pageId}) did not write, and it only uses a store it created: ` +
            'nothing was touched. Point it at an empty Redis (or another database, redis://host:port/<n>), or delete those keys if they are leftovers.'
        : `${where} belongs to Page ${owner}, not to Page ${pageId}: nothing was touched. ` +
            `Give Page ${pageId} its own REDIS_KEY_PREFIX (or Redis); change the owner key only if that data really is Page ${pageId}'s.`,
    );
  }
}

/** The store held data Talkshop cannot read (hand edits, or a newer/older Talkshop wrote it). */
export class StoreCorruptError extends TalkshopError {
  constructor(where: string, detail: string) {
    super('STORE_CORRUPT', `Unreadable data in ${where}: ${detail}`);
  }
}
