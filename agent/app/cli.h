#pragma once
// The command line (CLI11): `dynostatsd run | check-config | parse | version | supervise | dyno-type |
// is-true`, --help everywhere.
// Exit codes: 0 success; 1 runtime failure (a socket could not be opened, `parse` found invalid
// messages); 2 invalid configuration or usage, always before any socket is opened.
#include <cstdint>

namespace dynostatsd {

// `startedAtNanos`: uv_hrtime() taken first thing in main(), for the startup figure.
int runCli(int argc, char** argv, std::uint64_t startedAtNanos);

}  // namespace dynostatsd
