#pragma once
// Test helper shared by the stages that read sketches (serialize, app): one SketchPoint with the
// summary a real DDSketch would carry (avg = sum / count) and no bins.
#include <cstdint>

#include "model/series.h"

namespace dynostatsd::test {

inline SketchPoint sketchPoint(std::int64_t timestamp, std::int64_t count, double min, double max,
                               double sum) {
  SketchPoint point;
  point.timestamp = timestamp;
  point.count = count;
  point.min = min;
  point.max = max;
  point.sum = sum;
  point.avg = sum / static_cast<double>(count);
  return point;
}

}  // namespace dynostatsd::test
