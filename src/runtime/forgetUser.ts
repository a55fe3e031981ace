import type { Logger } from '../logger';
import { tombstoneIdOf } from '../store/keys';
import { userKeyOf } from '../store/partitionOf';
import type { ForgetOutcome, InboxItem, InboxRead, StateStore } from '../store/ports';
import { isForgetRecord } from '../store/ports';

/** The head of a partition's queue, when it is the erase command. */
export const isForgetItem = (read: InboxRead | undefined): read is InboxItem & { readonly type: 'item' } =>
  read?.type === 'item' && isForgetRecord(read.record);

export interface ForgetContext {
  readonly states: StateStore;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Applies an erase command at the head of its partition's queue. It is not run through the engine:
 * there is no state to compute, only one to remove, with every trace of the user in the partition
 * (StateStore.forget), in the same lane as their messages, so it is ordered with their
 * conversation: what they did before is erased, what they write after starts anew. The caller
 * drops the user from its state cache, whatever the outcome.
 */
export async function forgetUser(ctx: ForgetContext, leaseToken: string, item: InboxItem): Promise<ForgetOutcome> {
  const userKey = userKeyOf(item.record.event.pageId, item.record.event.userId);
  const tombstone = { id: tombstoneIdOf(userKey), deletedAt: ctx.now() };
  const outcome = await ctx.states.forget(item.partition, leaseToken, item.id, userKey, tombstone);
  // The PSID is personal data and the audit line (admin API, CLI) already names it: not here.
  if (outcome === 'forgotten')
    ctx.logger.info({ partition: item.partition, itemId: item.id, tombstone: tombstone.id }, 'user erased');
  return outcome;
}
