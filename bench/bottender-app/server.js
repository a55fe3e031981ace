/**
 * The stock Bottender production server, exactly as `bottender start` builds it
 * (node_modules/bottender/dist/cli/providers/sh/start.js): Bottender's own express 4 and
 * body-parser (json + urlencoded, keeping the raw body for the signature check), then every
 * request handed to `bottender({ dev: false }).getRequestHandler()`. It differs from the CLI only
 * in listening on an ephemeral port on 127.0.0.1, printing one JSON "ready" line with that port,
 * and a GET /__bench/stats route plus a counter around the session store's write() so the bench
 * can tell when every acknowledged event has been applied (written to Redis).
 */
process.chdir(__dirname); // Bottender reads bottender.config.js and index.js from the cwd.

const bottenderMain = require.resolve('bottender');
const fromBottender = (name) => require(require.resolve(name, { paths: [bottenderMain] }));
const express = fromBottender('express');
const bodyParser = fromBottender('body-parser');
const { bottender } = require('bottender');
const getChannelBots = require('bottender/dist/shared/getChannelBots').default;
const stats = require('./stats');

async function main() {
  const app = bottender({ dev: false });
  const handle = app.getRequestHandler();
  await app.prepare();

  // Count completed session writes (Bottender writes after the action, off the request path).
  for (const { bot } of getChannelBots()) {
    const sessions = bot.sessions;
    const write = sessions.write.bind(sessions);
    sessions.write = async (key, session) => {
      try {
        await write(key, session);
        stats.written += 1;
      } catch (err) {
        stats.writeErrors += 1;
        throw err;
      }
    };
  }

  const server = express();
  const verify = (req, _, buf) => {
    req.rawBody = buf.toString();
  };
  server.use(bodyParser.json({ verify }));
  server.use(bodyParser.urlencoded({ extended: false, verify }));
  server.get('/__bench/stats', (_req, res) => {
    res.json(stats);
  });
  server.all('*', (req, res) => handle(req, res));

  const listener = server.listen(Number(process.env.PORT || 0), process.env.HOST || '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ msg: 'bottender ready', port: listener.address().port, pid: process.pid })}\n`);
  });
  const stop = () => listener.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Keep-alive clients that never go idle would hold close() open.
  process.once('SIGTERM', () => setTimeout(() => process.exit(0), 2000).unref());
}

main().catch((err) => {
  process.stderr.write(`bench bottender app failed: ${err.stack || err}\n`);
  process.exit(1);
});
