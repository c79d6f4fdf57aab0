#include "types.hpp"

#include "pg_client.hpp"

#include <cstdio>

namespace ingestd::plugins::postgres {

using ingestd::sdk::DataType;
using ingestd::sdk::TypeId;

namespace {

bool starts(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// numeric(p,s): the precision and scale, or false without them.
bool numeric_typmod(const std::string& t, int& p, int& s) {
  if (!starts(t, "numeric(")) return false;
  s = 0;
  int n = std::sscanf(t.c_str(), "numeric(%d,%d)", &p, &s);
  return n >= 1;
}

}  // namespace

SourceColumn source_column(const std::string& name, const std::string& t, char category, char kind) {
  SourceColumn c;
  c.name = name;
  c.pg_type = t;
  c.select = quote_ident(name);
  int p = 0, s = 0;
  if (category == 'A') {
    c.type = TypeId::Utf8;
    c.select = "to_json(" + quote_ident(name) + ")::text AS " + quote_ident(name);
  } else if (kind == 'e') {
    c.type = TypeId::Utf8;
  } else if (t == "smallint") {
    c.type = TypeId::Int16;
  } else if (t == "integer") {
    c.type = TypeId::Int32;
  } else if (t == "bigint") {
    c.type = TypeId::Int64;
  } else if (t == "real") {
    c.type = TypeId::Float32;
  } else if (t == "double precision") {
    c.type = TypeId::Float64;
  } else if (numeric_typmod(t, p, s) && p <= 38) {
    c.type = DataType::decimal(p, s);
  } else if (t == "boolean") {
    c.type = TypeId::Bool;
  } else if (t == "bytea") {
    c.type = TypeId::Binary;
  } else if (t == "date") {
    c.type = TypeId::Date32;
  } else if (starts(t, "timestamp") && t.find("with time zone") != std::string::npos &&
             t.find("without") == std::string::npos) {
    c.type = TypeId::TimestampUs;
  } else if (starts(t, "timestamp")) {
    c.type = TypeId::TimestampUsLocal;
  } else if (starts(t, "time") && t.find("without time zone") != std::string::npos) {
    c.type = TypeId::Time64Us;
  } else {
    // text, varchar, char, uuid, json, jsonb, numeric without precision,
    // interval, inet, ...: their text form, exactly as PostgreSQL writes it.
    c.type = TypeId::Utf8;
  }
  return c;
}

std::string pg_type_for(const DataType& type) {
  switch (type.id) {
    case TypeId::Bool: return "boolean";
    case TypeId::Int8:
    case TypeId::Int16: return "smallint";
    case TypeId::Int32: return "integer";
    case TypeId::Int64: return "bigint";
    case TypeId::Float32: return "real";
    case TypeId::Float64: return "double precision";
    case TypeId::Binary: return "bytea";
    case TypeId::Date32: return "date";
    case TypeId::TimestampUs: return "timestamp with time zone";
    case TypeId::TimestampUsLocal: return "timestamp without time zone";
    case TypeId::Time64Us: return "time without time zone";
    case TypeId::Decimal128: return "numeric(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    default: return "text";
  }
}

DataType type_of_pg(const std::string& pg_type) { return source_column("", pg_type, 'X', 'b').type; }


}  // namespace ingestd::plugins::postgres
