// Finds and loads plugin shared objects, and says clearly why one is refused.
#pragma once

#include "config/location.hpp"
#include "loader/plugin_descriptor.hpp"

#include <ingestd/abi.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

// A plugin that passed every check: loaded, same ABI major, descriptor sane,
// every function its kinds need present. Never unloaded.
struct LoadedPlugin {
  std::string path;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  PluginDescriptor descriptor;
  // The plugin table, zero-extended to the host's sizeof: functions the
  // plugin's (older) table lacks read as NULL.
  ingestd_plugin table{};
  // "ingestd.transactional-state/1", when the plugin offers it completely.
  std::optional<ingestd_transactional_state_v1> transactional_state;
  // "ingestd.source-acks/1", when the plugin offers it.
  void (*checkpoint_saved)(ingestd_stream*, const uint8_t*, uint64_t) = nullptr;
  // "ingestd.source-release/1", when the plugin offers it.
  ingestd_status (*release_stream)(ingestd_instance*, const char*, const char*, ingestd_error*) = nullptr;
};

struct LoadFailure {
  std::string path;
  std::string reason;
};

// Loads one shared object and checks it. Never throws: the reason says what
// is wrong ("not an ingestd plugin", "plugin ABI 2.0, host ABI 1.0", ...).
struct LoadResult {
  std::unique_ptr<LoadedPlugin> plugin;
  LoadFailure failure;
};
LoadResult load_plugin(const std::string& path);

class PluginRegistry {
 public:
  // Directories searched in this order: `extra_dirs` (--plugin-path), then
  // INGESTD_PLUGIN_PATH (colon-separated), then the built-in plugin folder.
  explicit PluginRegistry(const std::vector<std::string>& extra_dirs);

  const std::vector<std::string>& search_path() const { return dirs_; }

  // Every plugin found in the search path (the first of a name wins).
  const std::vector<std::unique_ptr<LoadedPlugin>>& plugins();
  // Shared objects found but refused, with the reason.
  const std::vector<LoadFailure>& failures();

  // A plugin by name, or by path to a shared object ("./my_plugin.so").
  // By name, the files named for it (ingestd_NAME.so, libingestd_NAME.so,
  // NAME.so) are tried first along the search path, so that one run loads
  // only the plugins it uses; the whole path is scanned only when none of
  // them is the plugin. Throws ConfigError naming the installed plugins (or
  // why the file was refused).
  const LoadedPlugin& resolve(const std::string& name_or_path, const Location& where,
                              const std::string& key);

  // The folder holding the plugins built with (or installed beside) this binary.
  static std::string builtin_dir();

 private:
  void scan();
  const LoadedPlugin* find_by_file_name(const std::string& name);
  std::vector<std::string> dirs_;
  bool scanned_ = false;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
  std::vector<std::unique_ptr<LoadedPlugin>> by_path_;
  // Files tried by find_by_file_name: the plugin, or null when refused.
  std::map<std::string, std::unique_ptr<LoadedPlugin>> probed_;
  std::vector<LoadFailure> failures_;
};

}  // namespace ingestd
