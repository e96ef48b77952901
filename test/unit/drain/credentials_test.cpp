#include "drain/credentials.h"

#include <catch2/catch.hpp>

#include "drain/frame_id_cache.h"

using namespace dynostatsd::drain;

namespace {

std::string basic(const std::string& base64) {
  return "Basic " + base64;
}

}  // namespace

TEST_CASE("global and per-app credentials") {
  DrainCredentials credentials;
  std::string error;
  REQUIRE(DrainCredentials::load(
      "drain:s3cret", {"PATH=/bin", "DYNOSTATSD_DRAIN_CREDENTIALS_MY_SHOP=shop:pw2"}, credentials, error));
  const std::string global = basic("ZHJhaW46czNjcmV0");  // drain:s3cret
  const std::string shop = basic("c2hvcDpwdzI=");        // shop:pw2
  const std::string wrong = basic("ZHJhaW46czNjcmVU");   // drain:s3creT
  std::string_view g = global, s = shop, w = wrong;
  CHECK(credentials.authorize("other", &g));
  CHECK(credentials.authorize("my-shop", &g));
  CHECK(credentials.authorize("my-shop", &s));
  CHECK_FALSE(credentials.authorize("other", &s));
  CHECK_FALSE(credentials.authorize("other", &w));
  CHECK_FALSE(credentials.authorize("other", nullptr));
  std::string_view bearer = "Bearer ZHJhaW46czNjcmV0";
  CHECK_FALSE(credentials.authorize("other", &bearer));
}

TEST_CASE("no credentials, or malformed ones, refuse to start without showing the value") {
  DrainCredentials credentials;
  std::string error;
  CHECK_FALSE(DrainCredentials::load("", {"PATH=/bin"}, credentials, error));
  CHECK(error.find("needs credentials") != std::string::npos);
  CHECK_FALSE(DrainCredentials::load("nocolon-topsecret", {}, credentials, error));
  CHECK(error.find("DYNOSTATSD_DRAIN_CREDENTIALS") != std::string::npos);
  CHECK(error.find("topsecret") == std::string::npos);
  CHECK_FALSE(DrainCredentials::load("", {"DYNOSTATSD_DRAIN_CREDENTIALS_A=user:"}, credentials, error));
  CHECK(error.find("DYNOSTATSD_DRAIN_CREDENTIALS_A") != std::string::npos);
}

TEST_CASE("base64 is strict and comparisons exact") {
  std::string out;
  CHECK(DrainCredentials::decodeBase64("YQ==", out));
  CHECK(out == "a");
  CHECK(DrainCredentials::decodeBase64("YWI=", out));
  CHECK(out == "ab");
  CHECK(DrainCredentials::decodeBase64("YWJj", out));
  CHECK(out == "abc");
  for (const char* bad : {"", "YQ=", "Y===", "YQ==YQ==", "YW!j", "YQ=a"}) {
    INFO(bad);
    CHECK_FALSE(DrainCredentials::decodeBase64(bad, out));
  }
  CHECK(DrainCredentials::constantTimeEquals("abc", "abc"));
  CHECK_FALSE(DrainCredentials::constantTimeEquals("abc", "abd"));
  CHECK_FALSE(DrainCredentials::constantTimeEquals("ab", "abc"));
  CHECK_FALSE(DrainCredentials::constantTimeEquals("abcd", "abc"));
  CHECK(DrainCredentials::envSuffix("my-shop-2") == "MY_SHOP_2");
}

TEST_CASE("frame ids are remembered for the window, per app, within the capacity") {
  FrameIdCache cache(3, 1000);
  cache.remember("a", "F1", 0);
  CHECK(cache.contains("a", "F1", 500));
  CHECK_FALSE(cache.contains("b", "F1", 500));
  CHECK_FALSE(cache.contains("a", "F1", 1001));
  cache.remember("a", "1", 2000);
  cache.remember("a", "2", 2000);
  cache.remember("a", "3", 2000);
  cache.remember("a", "4", 2000);
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.contains("a", "1", 2000));
  CHECK(cache.contains("a", "4", 2000));
}
