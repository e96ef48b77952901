#pragma once
// The table of every setting: its key, env var, flag and help (SettingInfo), how a textual value
// is applied to a Config, and how the effective value is shown. Used by config_loader.cpp only.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"

namespace dynostatsd::config {

// Applies a textual value to the config; returns false with `error` set when it is invalid.
using ApplyFn =
    std::function<bool(Config&, std::string_view, std::string& error, std::vector<std::string>& warnings)>;
using ShowFn = std::function<std::string(const Config&)>;

struct Setting {
  SettingInfo info;
  ApplyFn apply;
  ShowFn show;
};

// In documentation order; `tags` precedes `dogstatsd_tags`, which appends to it.
const std::vector<Setting>& settingsTable();
const Setting* findSetting(std::string_view key);

}  // namespace dynostatsd::config
