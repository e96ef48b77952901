#pragma once
// The text `dynostatsd dyno` prints: one logfmt line per figure with its value, unit and the file
// (and formula) it came from, so a user can check each number against the cgroup by hand:
//
//   cgroup memory=v1 memory_dir=/sys/fs/cgroup/memory/dyno cpu=v1 cpu_dir=... cpuacct_dir=...
//   heroku.dyno.memory.total=262144000 unit=byte source="/sys/.../memory.usage_in_bytes - ..."
//   heroku.dyno.memory.quota=none source="... (>= 2^62: unlimited)"
//   heroku.dyno.process.rss=163840000 process=web__puma_6.4 pid=5 unit=byte source="..."
#include <string>

#include "dyno/dyno_sampler.h"

namespace dynostatsd::dyno {

std::string describeSnapshot(const DynoSampler& sampler, const DynoSnapshot& snapshot);

}  // namespace dynostatsd::dyno
