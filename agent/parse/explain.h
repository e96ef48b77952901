#pragma once
// explain: the engine of `dynostatsd parse`, showing how the agent reads each message.
// Input: text, one DogStatsD message per line (trailing CR removed, empty lines skipped).
// Output: one JSON object per message (JSON Lines), in the formats listed in README.md ("Datagram format").
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

namespace dynostatsd {

// Appends the JSON object (no newline) describing `message`; false when it is an error object.
bool explainMessage(std::string_view message, std::string& out);

// Explains every line of `in` to `out`; returns how many lines were errors.
std::size_t explainStream(std::istream& in, std::ostream& out);

}  // namespace dynostatsd
