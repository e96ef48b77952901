// dynostatsd: entry point. The command line lives in app/; this file only hands over to it.
#include <cstdio>

int main() {
  std::puts("dynostatsd " DYNOSTATSD_VERSION);
  return 0;
}
