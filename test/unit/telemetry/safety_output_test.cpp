// Secrets masking, UTF-8 escaping and the non-blocking OutputChannel (issue 15, items 3 and 4).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "telemetry/log.h"
#include "telemetry/output_channel.h"
#include "telemetry/secrets.h"

using namespace dynostatsd;

TEST_CASE("secrets::mask replaces every occurrence of every registered secret") {
  secrets::clearForTest();
  secrets::add("0123456789abcdef0123456789abcdef");
  secrets::add("pw12");
  secrets::add("ab");  // too short to mask safely: ignored
  CHECK(secrets::mask("key=0123456789abcdef0123456789abcdef x=0123456789abcdef0123456789abcdef") ==
        "key=***cdef x=***cdef");
  CHECK(secrets::mask("{\"errors\":[\"bad key pw12\"]} ab") == "{\"errors\":[\"bad key ***\"]} ab");
  secrets::addUrlCredentials("https://user:hunter2hunter2@host:443/path");
  CHECK(secrets::mask("https://user:hunter2hunter2@host") == "https://user:***ter2@host");
  secrets::clearForTest();
  CHECK(secrets::mask("pw12") == "pw12");
}

TEST_CASE("log::quote escapes bytes that are not well-formed UTF-8, keeps valid UTF-8") {
  CHECK(log::quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(log::quote("bad\xff\xfe") == "\"bad\\xff\\xfe\"");
  CHECK(log::quote("cut\xe2\x82") == "\"cut\\xe2\\x82\"");
  CHECK(log::quote("plain") == "plain");
}

TEST_CASE("OutputChannel: a pipe nobody reads never blocks; drops are counted and reported") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);  // the test's read end must not block either
  ::fcntl(fds[1], F_SETFL, 0);             // the write end starts blocking, like a dyno's stdout
  OutputChannel channel(fds[1], "test", 4096);
  channel.makeNonBlocking();
  const std::string line(99, 'x');
  std::size_t accepted = 0;
  for (int i = 0; i < 2000; ++i) {  // 200 KB into a 64 KB pipe: would block forever if blocking
    if (channel.write(line + "\n")) ++accepted;
  }
  CHECK(channel.droppedLines() > 0);
  CHECK(channel.buffered() <= 4096);
  CHECK(accepted + channel.droppedLines() == 2000);
  // The reader catches up: the buffer drains, in order, whole lines only.
  std::string received;
  char chunk[65536];
  for (int round = 0; round < 10; ++round) {
    ssize_t n;
    while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) {
      received.append(chunk, static_cast<std::size_t>(n));
      if (n < static_cast<ssize_t>(sizeof chunk)) break;
    }
    channel.drain();
    if (channel.buffered() == 0) break;
  }
  CHECK(channel.buffered() == 0);
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) received.append(chunk, static_cast<std::size_t>(n));
  CHECK(received.size() == accepted * 100);
  for (std::size_t at = 0; at < received.size(); at += 100) {  // whole lines only, in order
    REQUIRE(received.compare(at, 100, line + "\n") == 0);
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("OutputChannel: the reopened fd is non-blocking, the original description is not") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const int shared = ::dup(fds[1]);  // another process's copy of the same open file description
  OutputChannel channel(fds[1], "test", 4096);
  channel.makeNonBlocking();
  CHECK((::fcntl(fds[1], F_GETFL) & O_NONBLOCK) != 0);
  CHECK((::fcntl(shared, F_GETFL) & O_NONBLOCK) == 0);
  ::close(shared);
  ::close(fds[0]);
  ::close(fds[1]);
}
