/** In-process counters the bench reads from GET /__bench/stats (instrumentation only). */
module.exports = { handled: 0, written: 0, writeErrors: 0 };
