#include "parse/explain.h"

#include <cstdint>
#include <initializer_list>
#include <istream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "parse/json_text.h"
#include "parse/parser.h"

namespace dynostatsd {
namespace {

template <class Strings>
void appendStringArray(std::string& out, const Strings& items) {
  out.push_back('[');
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    appendJsonString(out, item);
  }
  out.push_back(']');
}

void appendKey(std::string& out, std::string_view key) {
  out.append(",\"");
  out.append(key);
  out.append("\":");
}

// `{"kind":<kind>,"<firstKey>":<firstValue>`: the opening every explained message shares.
void appendHead(std::string& out, std::string_view kind, std::string_view firstKey,
                std::string_view firstValue) {
  out.append("{\"kind\":\"").append(kind).append("\",\"").append(firstKey).append("\":");
  appendJsonString(out, firstValue);
}

void appendString(std::string& out, std::string_view key, std::string_view value) {
  appendKey(out, key);
  appendJsonString(out, value);
}

// `,"key":"value"` for each pair, in order.
void appendStrings(std::string& out,
                   std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  for (const auto& [key, value] : fields) appendString(out, key, value);
}

void appendInteger(std::string& out, std::string_view key, std::int64_t value) {
  appendKey(out, key);
  out.append(std::to_string(value));
}

// `,"tags":[...]}`: the closing every explained message shares.
void appendTagsAndClose(std::string& out, const std::vector<std::string>& tags) {
  appendKey(out, "tags");
  appendStringArray(out, tags);
  out.push_back('}');
}

void appendMetric(std::string& out, const MetricSample& sample) {
  appendHead(out, "metric", "name", sample.name);
  appendString(out, "type", wireName(sample.type));
  if (sample.type == MetricType::Set) {
    appendString(out, "value", sample.setMember);
  } else {
    appendKey(out, "values");
    out.push_back('[');
    for (std::size_t i = 0; i < sample.values.size(); ++i) {
      if (i > 0) out.push_back(',');
      appendJsonNumber(out, sample.values[i]);
    }
    out.push_back(']');
  }
  appendKey(out, "rate");
  appendJsonNumber(out, sample.rate);
  appendKey(out, "tags");
  appendStringArray(out, sample.tags);
  if (sample.timestamp != 0) appendInteger(out, "ts", sample.timestamp);
  out.push_back('}');
}

void appendEvent(std::string& out, const Event& event) {
  appendHead(out, "event", "title", event.title);
  appendString(out, "text", event.text);
  appendInteger(out, "ts", event.timestamp);
  appendStrings(out, {{"host", event.host},
                      {"aggregation_key", event.aggregationKey},
                      {"priority", event.priority},
                      {"source_type", event.sourceType},
                      {"alert_type", event.alertType}});
  appendTagsAndClose(out, event.tags);
}

void appendServiceCheck(std::string& out, const ServiceCheck& check) {
  appendHead(out, "service_check", "name", check.name);
  appendInteger(out, "status", check.status);
  appendInteger(out, "ts", check.timestamp);
  appendStrings(out, {{"host", check.host}, {"message", check.message}});
  appendTagsAndClose(out, check.tags);
}

}  // namespace

bool explainMessage(std::string_view message, std::string& out) {
  ParseError error = ParseError::None;
  switch (classify(message)) {
    case MessageKind::Metric: {
      MetricSample sample;
      error = parseMetric(message, sample);
      if (error == ParseError::None) appendMetric(out, sample);
      break;
    }
    case MessageKind::Event: {
      Event event;
      error = parseEvent(message, event);
      if (error == ParseError::None) appendEvent(out, event);
      break;
    }
    case MessageKind::ServiceCheck: {
      ServiceCheck check;
      error = parseServiceCheck(message, check);
      if (error == ParseError::None) appendServiceCheck(out, check);
      break;
    }
  }
  if (error == ParseError::None) return true;
  appendHead(out, "error", "reason", reasonName(error));
  appendString(out, "input", message);
  out.push_back('}');
  return false;
}

std::size_t explainStream(std::istream& in, std::ostream& out) {
  std::size_t errors = 0;
  std::string line;
  std::string json;
  while (std::getline(in, line)) {
    std::string_view message = line;
    if (!message.empty() && message.back() == '\r') message.remove_suffix(1);
    if (message.empty()) continue;
    json.clear();
    if (!explainMessage(message, json)) ++errors;
    json.push_back('\n');
    out << json;
  }
  out.flush();
  return errors;
}

}  // namespace dynostatsd
