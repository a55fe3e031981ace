/**
 * The app's entry action: what Talkshop's built-in counter handler does, the Bottender way —
 * count the user's messages in the session state. Bottender writes the session back to Redis
 * after the action returns.
 */
const stats = require('./stats');

module.exports = async function App(context) {
  context.setState({ count: context.state.count + 1 });
  stats.handled += 1;
};
