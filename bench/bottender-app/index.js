/**
 * The app's entry action: what Talkshop's built-in counter handler does, the Bottender way —
 * count the user's messages in the session state. Bottender writes the session back to Redis
 * after the action returns. With BENCH_BOTTENDER_REPLY=1 (bench/reply.ts) it also answers
 * "count N", as Talkshop's counter flow does, and the session is written after the send.
 */
const stats = require('./stats');

const reply = process.env.BENCH_BOTTENDER_REPLY === '1';

module.exports = async function App(context) {
  const count = context.state.count + 1;
  context.setState({ count });
  stats.handled += 1;
  if (reply) await context.sendText(`count ${count}`);
};
