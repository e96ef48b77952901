#include "parse/explain.h"

#include <istream>
#include <ostream>

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

void appendMetric(std::string& out, const MetricSample& sample) {
  out.append("{\"kind\":\"metric\",\"name\":");
  appendJsonString(out, sample.name);
  appendKey(out, "type");
  appendJsonString(out, wireName(sample.type));
  if (sample.type == MetricType::Set) {
    appendKey(out, "value");
    appendJsonString(out, sample.setMember);
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
  if (sample.timestamp != 0) {
    appendKey(out, "ts");
    out.append(std::to_string(sample.timestamp));
  }
  out.push_back('}');
}

void appendEvent(std::string& out, const Event& event) {
  out.append("{\"kind\":\"event\",\"title\":");
  appendJsonString(out, event.title);
  appendKey(out, "text");
  appendJsonString(out, event.text);
  appendKey(out, "ts");
  out.append(std::to_string(event.timestamp));
  appendKey(out, "host");
  appendJsonString(out, event.host);
  appendKey(out, "aggregation_key");
  appendJsonString(out, event.aggregationKey);
  appendKey(out, "priority");
  appendJsonString(out, event.priority);
  appendKey(out, "source_type");
  appendJsonString(out, event.sourceType);
  appendKey(out, "alert_type");
  appendJsonString(out, event.alertType);
  appendKey(out, "tags");
  appendStringArray(out, event.tags);
  out.push_back('}');
}

void appendServiceCheck(std::string& out, const ServiceCheck& check) {
  out.append("{\"kind\":\"service_check\",\"name\":");
  appendJsonString(out, check.name);
  appendKey(out, "status");
  out.append(std::to_string(check.status));
  appendKey(out, "ts");
  out.append(std::to_string(check.timestamp));
  appendKey(out, "host");
  appendJsonString(out, check.host);
  appendKey(out, "message");
  appendJsonString(out, check.message);
  appendKey(out, "tags");
  appendStringArray(out, check.tags);
  out.push_back('}');
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
  out.append("{\"kind\":\"error\",\"reason\":");
  appendJsonString(out, reasonName(error));
  appendKey(out, "input");
  appendJsonString(out, message);
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
