// A background worker: takes jobs from a (simulated) queue and reports how it keeps up.
const { statsd, startProcessMetrics, onShutdown } = require('./metrics');

const intervalMs = Number(process.env.JOB_INTERVAL_MS || 250);
let backlog = 0;
let done = 0;
let draining = null; // the running drain loop, if any
let stopping = false;

// Stand-in for real work: a deterministic duration between 5 and 32 ms.
function runJob(n) {
  return new Promise((resolve) => setTimeout(resolve, 5 + (n % 10) * 3));
}

async function drain() {
  while (backlog > 0 && !stopping) {
    backlog -= 1;
    const n = done + 1;
    const start = Date.now();
    await runJob(n);
    done = n;
    statsd.increment('example.jobs.processed', 1, ['queue:default']);
    statsd.histogram('example.jobs.duration', Date.now() - start, ['queue:default']);
    console.log(`at=info msg="job done" job=${n}`);
  }
  statsd.gauge('example.jobs.backlog', backlog, ['queue:default']);
  draining = null;
}

function tick() {
  backlog += 1; // one job arrives per tick
  if (!draining) draining = drain();
}

const timer = setInterval(tick, intervalMs);
startProcessMetrics();
onShutdown(async (next) => {
  stopping = true;
  clearInterval(timer);
  await draining; // let the job in hand finish and be counted
  console.log(`at=info msg="worker stopped" jobs_done=${done}`);
  next();
});
console.log(`at=info msg="worker started" interval_ms=${intervalMs}`);
