#include "loader/plugin_registry.hpp"

#include "loader/host_api.hpp"
#include "log/logging.hpp"
#include "util/strings.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#ifndef INGESTD_PLUGIN_RELDIR
#define INGESTD_PLUGIN_RELDIR "../lib/ingestd/plugins"
#endif

namespace fs = std::filesystem;

namespace ingestd {

namespace {

// Loaded libraries stay loaded for the life of the process: batches, errors
// and schemas they produced may outlive any one command's objects.
std::vector<boost::dll::shared_library*>& keep_loaded() {
  static auto* libs = new std::vector<boost::dll::shared_library*>;
  return *libs;
}

LoadResult refuse(const std::string& path, std::string reason) {
  return LoadResult{nullptr, LoadFailure{path, std::move(reason)}};
}

std::string version(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Names the functions a plugin of these kinds must provide but does not.
std::vector<std::string> missing_functions(const ingestd_plugin& t, uint32_t kinds) {
  std::vector<std::string> missing;
  auto need = [&](const void* fn, const char* name) {
    if (!fn) missing.emplace_back(name);
  };
  need(reinterpret_cast<const void*>(t.create), "create");
  need(reinterpret_cast<const void*>(t.destroy), "destroy");
  need(reinterpret_cast<const void*>(t.check), "check");
  if (kinds & INGESTD_KIND_SOURCE) {
    need(reinterpret_cast<const void*>(t.discover), "discover");
    need(reinterpret_cast<const void*>(t.open_stream), "open_stream");
    need(reinterpret_cast<const void*>(t.next_batch), "next_batch");
    need(reinterpret_cast<const void*>(t.close_stream), "close_stream");
  }
  if (kinds & INGESTD_KIND_DESTINATION) {
    need(reinterpret_cast<const void*>(t.open_table), "open_table");
    need(reinterpret_cast<const void*>(t.write_batch), "write_batch");
    need(reinterpret_cast<const void*>(t.commit), "commit");
    need(reinterpret_cast<const void*>(t.close_table), "close_table");
  }
  if (kinds & INGESTD_KIND_TRANSFORM) {
    need(reinterpret_cast<const void*>(t.open_transform), "open_transform");
    need(reinterpret_cast<const void*>(t.transform_batch), "transform_batch");
    need(reinterpret_cast<const void*>(t.close_transform), "close_transform");
  }
  return missing;
}

bool is_shared_object(const fs::path& p) {
  std::string name = p.filename().string();
  return p.extension() == ".so" || name.find(".so.") != std::string::npos;
}

}  // namespace

LoadResult load_plugin(const std::string& path) {
  auto lib = std::make_unique<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  dlerror();
  lib->load(boost::dll::fs::path(path), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !lib->is_loaded()) {
    const char* why = dlerror();
    return refuse(path, std::string("cannot load shared object: ") + (why ? why : ec.message()));
  }
  if (!lib->has(INGESTD_PLUGIN_ENTRY_SYMBOL))
    return refuse(path, "not an ingestd plugin (it exports no " INGESTD_PLUGIN_ENTRY_SYMBOL " function)");
  auto entry = lib->get<ingestd_status(uint32_t, uint32_t, const ingestd_host_api*, const ingestd_plugin**)>(
      INGESTD_PLUGIN_ENTRY_SYMBOL);
  // The library stays loaded from here on, whatever the checks say: the
  // plugin may already have started something that refers to its code.
  keep_loaded().push_back(lib.release());

  const ingestd_plugin* table = nullptr;
  ingestd_status status = entry(INGESTD_ABI_VERSION_MAJOR, INGESTD_ABI_VERSION_MINOR, host_api(), &table);
  const std::string host_version = version(INGESTD_ABI_VERSION_MAJOR, INGESTD_ABI_VERSION_MINOR);
  if (table && table->struct_size >= offsetof(ingestd_plugin, abi_minor) + sizeof(uint32_t) &&
      table->abi_major != INGESTD_ABI_VERSION_MAJOR)
    return refuse(path, "plugin ABI " + version(table->abi_major, table->abi_minor) + ", host ABI " +
                            host_version + " (the major versions must match; rebuild the plugin against this ingestd)");
  if (status == INGESTD_ERROR_VERSION_MISMATCH)
    return refuse(path, "the plugin refused host ABI " + host_version);
  if (status != INGESTD_OK)
    return refuse(path, "the plugin's entry function failed (status " + std::to_string(status) + ")");
  if (!table) return refuse(path, "the plugin's entry function returned no plugin table");
  if (table->struct_size < offsetof(ingestd_plugin, descriptor) + sizeof(void*))
    return refuse(path, "the plugin table is truncated (struct_size " + std::to_string(table->struct_size) + ")");

  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->path = path;
  plugin->abi_major = table->abi_major;
  plugin->abi_minor = table->abi_minor;
  std::memcpy(&plugin->table, table, std::min<std::size_t>(table->struct_size, sizeof(ingestd_plugin)));
  plugin->table.struct_size = sizeof(ingestd_plugin);
  try {
    plugin->descriptor = read_descriptor(table->descriptor);
  } catch (const std::exception& e) {
    return refuse(path, std::string("malformed descriptor: ") + e.what());
  }
  if (plugin->table.get_extension) {
    const auto* ext = static_cast<const ingestd_transactional_state_v1*>(
        plugin->table.get_extension(INGESTD_EXT_TRANSACTIONAL_STATE));
    if (ext && INGESTD_HAS_MEMBER(ext, ingestd_transactional_state_v1, clear_state) && ext->commit_with_state &&
        ext->load_state && ext->clear_state) {
      ingestd_transactional_state_v1 copy{};
      std::memcpy(&copy, ext, sizeof copy);
      plugin->transactional_state = copy;
    }
    const auto* acks =
        static_cast<const ingestd_source_acks_v1*>(plugin->table.get_extension(INGESTD_EXT_SOURCE_ACKS));
    if (acks && INGESTD_HAS_MEMBER(acks, ingestd_source_acks_v1, checkpoint_saved) && acks->checkpoint_saved)
      plugin->checkpoint_saved = acks->checkpoint_saved;
    const auto* release =
        static_cast<const ingestd_source_release_v1*>(plugin->table.get_extension(INGESTD_EXT_SOURCE_RELEASE));
    if (release && INGESTD_HAS_MEMBER(release, ingestd_source_release_v1, release_stream) && release->release_stream)
      plugin->release_stream = release->release_stream;
  }
  auto missing = missing_functions(plugin->table, plugin->descriptor.kinds);
  if (!missing.empty())
    return refuse(path, "plugin '" + plugin->descriptor.name + "' lacks required function" +
                            (missing.size() > 1 ? "s " : " ") + join(missing, ", "));
  return LoadResult{std::move(plugin), {}};
}

std::string PluginRegistry::builtin_dir() {
  boost::dll::fs::error_code ec;
  auto exe = boost::dll::program_location(ec);
  if (ec) return {};
  return (fs::path(exe.string()).parent_path() / INGESTD_PLUGIN_RELDIR).lexically_normal().string();
}

PluginRegistry::PluginRegistry(const std::vector<std::string>& extra_dirs) : dirs_(extra_dirs) {
  // A mistyped folder would otherwise leave its plugins silently unloaded.
  for (const auto& d : extra_dirs) {
    std::error_code ec;
    if (!fs::exists(d, ec))
      throw ConfigError(Location{}, "--plugin-path", "no such folder or shared object: " + d);
  }
  if (const char* env = std::getenv("INGESTD_PLUGIN_PATH"))
    for (const auto& d : split(env, ':')) {
      if (d.empty()) continue;
      std::error_code ec;
      if (!fs::exists(d, ec)) log::warn("INGESTD_PLUGIN_PATH names " + d + ", which does not exist");
      dirs_.push_back(d);
    }
  std::string builtin = builtin_dir();
  if (!builtin.empty()) dirs_.push_back(builtin);
}

void PluginRegistry::scan() {
  if (scanned_) return;
  scanned_ = true;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (fs::is_regular_file(dir, ec)) {
      // A --plugin-path may name a single shared object.
      auto r = load_plugin(dir);
      if (r.plugin) plugins_.push_back(std::move(r.plugin));
      else failures_.push_back(r.failure);
      continue;
    }
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file() && is_shared_object(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto r = load_plugin(f.string());
      if (!r.plugin) {
        failures_.push_back(r.failure);
        continue;
      }
      auto first = std::find_if(plugins_.begin(), plugins_.end(), [&](const auto& p) {
        return p->descriptor.name == r.plugin->descriptor.name;
      });
      if (first != plugins_.end()) {
        const std::string why = "plugin '" + r.plugin->descriptor.name + "' is also at " + (*first)->path +
                                ", earlier on the search path, which is the one used";
        log::warn(f.string() + ": " + why);
        failures_.push_back({f.string(), why});
      } else {
        plugins_.push_back(std::move(r.plugin));
      }
    }
  }
}

const std::vector<std::unique_ptr<LoadedPlugin>>& PluginRegistry::plugins() {
  scan();
  return plugins_;
}

const std::vector<LoadFailure>& PluginRegistry::failures() {
  scan();
  return failures_;
}

const LoadedPlugin* PluginRegistry::find_by_file_name(const std::string& name) {
  for (const auto& dir : dirs_) {
    std::error_code ec;
    std::vector<fs::path> candidates;
    if (fs::is_regular_file(dir, ec)) {
      candidates.emplace_back(dir);  // a --plugin-path naming one file
    } else {
      for (const char* prefix : {"ingestd_", "libingestd_", ""})
        candidates.push_back(fs::path(dir) / (prefix + name + ".so"));
    }
    for (const auto& f : candidates) {
      if (!fs::is_regular_file(f, ec)) continue;
      auto [it, fresh] = probed_.try_emplace(f.string());
      if (fresh) it->second = load_plugin(f.string()).plugin;  // a refusal is explained by the scan
      if (it->second && it->second->descriptor.name == name) return it->second.get();
    }
  }
  return nullptr;
}

const LoadedPlugin& PluginRegistry::resolve(const std::string& name_or_path, const Location& where,
                                            const std::string& key) {
  if (name_or_path.find('/') != std::string::npos) {
    fs::path p(name_or_path);
    if (p.is_relative() && !where.file.empty())
      p = fs::absolute(fs::path(where.file)).parent_path() / p;
    for (const auto& lp : by_path_)
      if (lp->path == p.string()) return *lp;
    std::error_code ec;
    if (!fs::exists(p, ec)) throw ConfigError(where, key, "no such plugin file: " + p.string());
    auto r = load_plugin(p.string());
    if (!r.plugin) throw ConfigError(where, key, r.failure.path + ": " + r.failure.reason);
    by_path_.push_back(std::move(r.plugin));
    return *by_path_.back();
  }
  if (const LoadedPlugin* found = find_by_file_name(name_or_path)) return *found;
  for (const auto& p : plugins())
    if (p->descriptor.name == name_or_path) return *p;
  std::string msg = "unknown plugin '" + name_or_path + "'";
  // A refused file whose name matches explains more than "unknown".
  for (const auto& f : failures()) {
    std::string stem = fs::path(f.path).stem().string();
    if (stem == name_or_path || stem == "ingestd_" + name_or_path || stem == "libingestd_" + name_or_path)
      msg += ": " + f.path + " was refused: " + f.reason;
  }
  std::vector<std::string> names;
  for (const auto& p : plugins()) names.push_back(p->descriptor.name);
  msg += " (installed plugins: " + (names.empty() ? std::string("none") : join(names, ", ")) +
         "; searched " + join(dirs_, ":") + ")";
  throw ConfigError(where, key, msg);
}

}  // namespace ingestd
