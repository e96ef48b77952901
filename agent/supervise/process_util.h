#pragma once
// Small POSIX helpers shared by the supervisor and the prerun hooks: descriptor hygiene, the exec
// of a child with a clean signal state, exit statuses in the shell's convention.
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace dynostatsd::supervise {

// Closes every descriptor >= `first` (close_range where the kernel has it, else a bounded loop).
void closeDescriptorsFrom(int first);

// In a forked child: restores `mask` and the default dispositions of the signals the supervisor
// ignores (SIGPIPE, SIGHUP), so the exec'd program starts like one started by a shell.
void resetSignalsInChild(const sigset_t& mask);

// waitpid() status as a shell reports it: the exit code, or 128 + the signal number.
int shellStatus(int waitStatus);

// Monotonic milliseconds.
std::int64_t nowMillis();

// "1.500" for 1500: seconds with milliseconds, for log lines.
std::string seconds(std::int64_t millis);

// mkdir -p; false with errno set when a component cannot be created.
bool makeDirectories(const std::string& path);

// The environment variable's value, or `fallback` when it is unset or empty.
std::string envOr(const char* name, std::string fallback);

// This process's executable (/proc/self/exe), or `fallback` when it cannot be read.
std::string executablePath(const std::string& fallback);

// Writes `text` to `path` (replacing it); false on failure.
bool writeFile(const std::string& path, const std::string& text);

}  // namespace dynostatsd::supervise
