// An Express app with a tiny in-memory order book, instrumented with hot-shots.
const express = require('express');
const { statsd, requestMetrics } = require('./metrics');

const app = express();
app.use(requestMetrics);
app.use(express.json({ limit: '64kb' }));

const orders = [];
const pending = new Set();

function reportQueueDepth() {
  statsd.gauge('example.orders.queue_depth', pending.size);
}

// Every request may name its user; the set counts distinct users per interval.
app.use((req, res, next) => {
  const user = req.get('x-user');
  if (user) statsd.set('example.users.unique', user);
  next();
});

app.get('/', (req, res) => {
  res.send(`hello from ${process.env.DYNO || 'a laptop'}\n`);
});

app.post('/orders', (req, res) => {
  // A distribution is aggregated across all dynos by Datadog, so its percentiles are global.
  statsd.distribution('example.orders.payload_bytes', Number(req.get('content-length') || 0));
  const order = { id: orders.length + 1, items: req.body.items || [] };
  orders.push(order);
  pending.add(order.id);
  reportQueueDepth();
  res.status(201).json(order);
});

app.post('/orders/:id/ship', (req, res) => {
  if (!pending.delete(Number(req.params.id))) {
    res.status(404).json({ error: 'no such pending order' });
    return;
  }
  reportQueueDepth();
  res.json({ shipped: Number(req.params.id) });
});

app.get('/orders/:id', (req, res) => {
  const order = orders[Number(req.params.id) - 1];
  if (!order) {
    res.status(404).json({ error: 'no such order' });
    return;
  }
  res.json(order);
});

// A gauge is "the last value in the interval": report it every second, not only on change.
setInterval(reportQueueDepth, 1000).unref();

const port = Number(process.env.PORT || 3000);
app.listen(port, () => {
  console.log(`at=info msg="listening" port=${port}`);
  const dyno = process.env.DYNO || 'local';
  statsd.event('example web started', `${dyno} is listening on port ${port}`, {
    alert_type: 'info',
    source_type_name: 'example',
  });
  statsd.check('example.web.can_serve', statsd.CHECKS.OK, { message: `listening on ${port}` });
});
