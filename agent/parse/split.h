#pragma once
// forEachItem: the in-place splitter under the parsers' tag lists (`,`) and event/service-check
// fields (`|`). No allocation: each item is a view into `text`.
#include <string_view>

namespace dynostatsd {

// Calls onItem for each `separator`-separated item of `text`, empty ones included (`a,,b` gives
// "a", "", "b"); an empty `text` gives none.
template <class OnItem>
void forEachItem(std::string_view text, char separator, OnItem&& onItem) {
  if (text.empty()) return;
  for (;;) {
    std::size_t at = text.find(separator);
    onItem(text.substr(0, at));
    if (at == std::string_view::npos) return;
    text.remove_prefix(at + 1);
  }
}

}  // namespace dynostatsd
