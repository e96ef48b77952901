// One StatsD client for the whole process. The dynostatsd agent listens on 127.0.0.1:8125 in
// every dyno, so there is no host to configure; the agent adds the dyno tags itself.
const StatsD = require('hot-shots');

const statsd = new StatsD({
  host: process.env.DD_AGENT_HOST || '127.0.0.1', // not "localhost": it may resolve to ::1
  port: Number(process.env.DD_DOGSTATSD_PORT || 8125),
  errorHandler: (err) => console.error(`at=warn msg="statsd send failed" error="${err.message}"`),
});

// Express middleware: one counter and one timer per request, tagged with the matched route
// (the pattern, e.g. /orders/:id, never the raw URL, so the number of series stays small).
function requestMetrics(req, res, next) {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const route = req.route ? req.route.path : 'unmatched';
    const tags = [`route:${route}`, `method:${req.method}`, `status:${res.statusCode}`];
    statsd.increment('example.http.requests', 1, tags);
    statsd.timing('example.http.response_time', Number(process.hrtime.bigint() - start) / 1e6, [`route:${route}`]);
  });
  next();
}

module.exports = { statsd, requestMetrics };
