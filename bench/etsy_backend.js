// A minimal Etsy statsd backend for the benchmark (bench/harness.py loads it by absolute path).
// It keeps what the benchmark needs from each flush and reports it through the management
// `stats` command as `bench.<figure>: <value>`:
//   flushed_metrics_received  running total of statsd.metrics_received over past flushes
//   flushes                   how many flushes happened
//   processing_ms_last        statsd's own processing_time of the last flush
//   serialize_ms_last         our stand-in for "serialize + compress": the flushed counters,
//                             gauges, timer data and sets as one Datadog-v1-like JSON body,
//                             deflated (what a Datadog backend would have to do)
//   series_last               how many series that body held
'use strict';

const zlib = require('zlib');

function BenchBackend(startupTime, config, events) {
  this.flushedMetricsReceived = 0;
  this.flushes = 0;
  this.lastProcessingMs = 0;
  this.lastSerializeMs = 0;
  this.lastSeries = 0;
  events.on('flush', (timestamp, metrics) => this.onFlush(timestamp, metrics));
  events.on('status', (write) => this.onStatus(write));
}

BenchBackend.prototype.onFlush = function (timestamp, metrics) {
  const received = metrics.counters['statsd.metrics_received'];
  this.flushedMetricsReceived += Number(received || 0);
  this.flushes += 1;
  this.lastProcessingMs = Number((metrics.statsd_metrics || {}).processing_time || 0);

  const started = process.hrtime.bigint();
  const series = [];
  const point = (name, type, value) =>
    series.push({ metric: name, type: type, points: [[timestamp, value]], interval: 10 });
  for (const name in metrics.counters) point(name, 'count', metrics.counters[name]);
  for (const name in metrics.gauges) point(name, 'gauge', metrics.gauges[name]);
  for (const name in metrics.timer_data) {
    const data = metrics.timer_data[name];
    for (const stat in data) {
      if (typeof data[stat] === 'number') point(name + '.' + stat, 'gauge', data[stat]);
    }
  }
  for (const name in metrics.sets) point(name, 'gauge', metrics.sets[name].size());
  const body = zlib.deflateSync(Buffer.from(JSON.stringify({ series: series })));
  this.lastSerializeMs = Number(process.hrtime.bigint() - started) / 1e6;
  this.lastSeries = series.length;
  this.lastBodyBytes = body.length;
};

BenchBackend.prototype.onStatus = function (write) {
  write(null, 'bench', 'flushed_metrics_received', this.flushedMetricsReceived);
  write(null, 'bench', 'flushes', this.flushes);
  write(null, 'bench', 'processing_ms_last', this.lastProcessingMs);
  write(null, 'bench', 'serialize_ms_last', this.lastSerializeMs);
  write(null, 'bench', 'series_last', this.lastSeries);
};

exports.init = function (startupTime, config, events) {
  new BenchBackend(startupTime, config, events);
  return true;
};
