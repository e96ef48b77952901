#pragma once
// OTLP attributes: the dyno's Resource and the DogStatsD tags of a series as point attributes.
//
// Tags -> attributes ("k:v" -> k="v"; a bare tag "k" -> k=""; ":v", which has no key, -> ":v"="").
// Keys are unique per point, as the proto requires: the values of a repeated key are joined with
// "," in tag order, empty and duplicate values left out ("env:a,env:b" -> env="a,b";
// "env,env:a" -> env="a"). A series host (DD_HOSTNAME, host: tags, DD_DYNO_HOST) is the attribute
// `host`, merged by the same rule.
//
// Resource, later rows win:
//   | source                          | attributes                                                        |
//   |---------------------------------|-------------------------------------------------------------------|
//   | the dyno                        | cloud.provider=heroku, service.name=HEROKU_APP_NAME                |
//   |                                 | (else unknown_service:dynostatsd), service.instance.id=HEROKU_DYNO_ID
//   | |                                 | (else a UUID made at start),
//   service.version=HEROKU_RELEASE_VERSION, | |                                 | heroku.app.id,
//   heroku.release.commit,                             | |                                 |
//   heroku.release.creation_timestamp, heroku.dyno, heroku.dyno.type  | | OTEL_RESOURCE_ATTRIBUTES        |
//   any                                                               | | OTEL_SERVICE_NAME               |
//   service.name                                                      |
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "serialize/protobuf_writer.h"

namespace dynostatsd::otlp {

using Attributes = std::vector<std::pair<std::string, std::string>>;

Attributes dynoResource(const Config& config, std::string_view generatedInstanceId);

// A random (version 4) UUID, for service.instance.id when HEROKU_DYNO_ID is unset.
std::string randomUuid();

// Writes `attributes` as repeated KeyValue (string values) in field `field`.
void writeAttributes(serialize::ProtobufWriter& writer, std::uint32_t field, const Attributes& attributes);

// Writes the tags (and host) of a series as repeated KeyValue in field `field`, by the rule above.
// `scratch` is reused between calls.
class TagAttributeWriter {
 public:
  void write(serialize::ProtobufWriter& writer, std::uint32_t field, const std::vector<std::string>& tags,
             std::string_view host);

 private:
  std::vector<std::pair<std::string_view, std::string_view>> pairs_;
  std::string joined_;
};

}  // namespace dynostatsd::otlp
