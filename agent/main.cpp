// dynostatsd: entry point. The command line lives in app/; this file only hands over to it.
#include <uv.h>

#include "app/cli.h"

int main(int argc, char** argv) {
  const auto started = uv_hrtime();
  return dynostatsd::runCli(argc, argv, started);
}
