#include "loader/plugin_descriptor.hpp"

#include <cctype>
#include <stdexcept>

namespace ingestd {

const OptionInfo* PluginDescriptor::find_option(const std::string& option_name) const {
  for (const auto& o : options)
    if (o.name == option_name) return &o;
  return nullptr;
}

std::vector<std::string> PluginDescriptor::option_names(uint32_t role) const {
  std::vector<std::string> out;
  for (const auto& o : options)
    if (o.applies_to(role)) out.push_back(o.name);
  return out;
}

namespace {

std::string text(const char* s) { return s ? s : ""; }

bool valid_plugin_name(const std::string& n) {
  if (n.empty()) return false;
  for (char c : n)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_' || c == '-'))
      return false;
  return true;
}

OptionInfo read_option(const ingestd_option* o) {
  if (!o || o->struct_size < offsetof(ingestd_option, type) + sizeof o->type)
    throw std::runtime_error("an option entry is missing or truncated");
  OptionInfo info;
  info.name = text(o->name);
  if (info.name.empty()) throw std::runtime_error("an option has no name");
  info.type = o->type;
  if (info.type > INGESTD_OPTION_JSON)
    throw std::runtime_error("option '" + info.name + "' has unknown type " + std::to_string(info.type));
  if (INGESTD_HAS_MEMBER(o, ingestd_option, flags)) {
    info.required = (o->flags & INGESTD_OPTION_REQUIRED) != 0;
    info.secret = (o->flags & INGESTD_OPTION_SECRET_VALUE) != 0;
  }
  info.secret = info.secret || info.type == INGESTD_OPTION_SECRET;
  if (INGESTD_HAS_MEMBER(o, ingestd_option, kinds)) info.kinds = o->kinds;
  if (INGESTD_HAS_MEMBER(o, ingestd_option, default_value) && o->default_value)
    info.default_value = o->default_value;
  if (INGESTD_HAS_MEMBER(o, ingestd_option, enum_value_count) && o->enum_values)
    for (uint32_t i = 0; i < o->enum_value_count; ++i) info.enum_values.push_back(text(o->enum_values[i]));
  if (info.type == INGESTD_OPTION_ENUM && info.enum_values.empty())
    throw std::runtime_error("enum option '" + info.name + "' lists no values");
  if (INGESTD_HAS_MEMBER(o, ingestd_option, description)) info.description = text(o->description);
  return info;
}

}  // namespace

PluginDescriptor read_descriptor(const ingestd_descriptor* d) {
  if (!d) throw std::runtime_error("the plugin table has no descriptor");
  if (d->struct_size < offsetof(ingestd_descriptor, kinds) + sizeof d->kinds)
    throw std::runtime_error("the descriptor is truncated (struct_size " + std::to_string(d->struct_size) + ")");
  PluginDescriptor out;
  out.name = text(d->name);
  if (!valid_plugin_name(out.name))
    throw std::runtime_error("the descriptor's name '" + out.name + "' is not [a-z0-9_-]+");
  out.version = text(d->version);
  out.kinds = d->kinds;
  if ((out.kinds & (INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION | INGESTD_KIND_TRANSFORM)) == 0)
    throw std::runtime_error("plugin '" + out.name + "' is neither a source, a destination nor a transform");
  if (INGESTD_HAS_MEMBER(d, ingestd_descriptor, description)) out.description = text(d->description);
  if (INGESTD_HAS_MEMBER(d, ingestd_descriptor, doc_url)) out.doc_url = text(d->doc_url);
  if (INGESTD_HAS_MEMBER(d, ingestd_descriptor, extract_modes)) out.extract_modes = d->extract_modes;
  if (INGESTD_HAS_MEMBER(d, ingestd_descriptor, load_modes)) out.load_modes = d->load_modes;
  if ((out.kinds & INGESTD_KIND_SOURCE) && out.extract_modes == 0)
    out.extract_modes = INGESTD_EXTRACT_SNAPSHOT;
  if ((out.kinds & INGESTD_KIND_DESTINATION) && out.load_modes == 0) out.load_modes = INGESTD_LOAD_APPEND;
  if (INGESTD_HAS_MEMBER(d, ingestd_descriptor, option_count) && d->options)
    for (uint32_t i = 0; i < d->option_count; ++i) out.options.push_back(read_option(d->options[i]));
  if (INGESTD_HAS_MEMBER(d, ingestd_descriptor, max_concurrent_streams))
    out.max_concurrent_streams = d->max_concurrent_streams;
  if (INGESTD_HAS_MEMBER(d, ingestd_descriptor, source_settings)) out.source_settings = d->source_settings;
  return out;
}

}  // namespace ingestd
