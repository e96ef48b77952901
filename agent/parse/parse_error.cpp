// The logfmt/JSON names of ParseError and MessageKind.
#include "parse/parser.h"

namespace dynostatsd {

std::string_view reasonName(ParseError error) {
  switch (error) {
    case ParseError::None: return "none";
    case ParseError::NoPipe: return "no_pipe";
    case ParseError::NoColon: return "no_colon";
    case ParseError::EmptyName: return "empty_name";
    case ParseError::EmptyValue: return "empty_value";
    case ParseError::BadMetricType: return "bad_metric_type";
    case ParseError::BadValue: return "bad_value";
    case ParseError::ValueOutOfRange: return "value_out_of_range";
    case ParseError::NoValue: return "no_value";
    case ParseError::BadSampleRate: return "bad_sample_rate";
    case ParseError::BadTimestamp: return "bad_timestamp";
    case ParseError::TimestampNotPositive: return "timestamp_not_positive";
    case ParseError::EventNoColon: return "event_no_colon";
    case ParseError::EventBadHeader: return "event_bad_header";
    case ParseError::EventBadLength: return "event_bad_length";
    case ParseError::EventEmptyTitle: return "event_empty_title";
    case ParseError::EventTooShort: return "event_too_short";
    case ParseError::ServiceCheckBadFormat: return "service_check_bad_format";
    case ParseError::ServiceCheckEmptyName: return "service_check_empty_name";
    case ParseError::ServiceCheckBadStatus: return "service_check_bad_status";
    case ParseError::Count: break;
  }
  return "unknown";
}

std::string_view kindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::Metric: return "metric";
    case MessageKind::Event: return "event";
    case MessageKind::ServiceCheck: return "service_check";
  }
  return "unknown";
}

}  // namespace dynostatsd
