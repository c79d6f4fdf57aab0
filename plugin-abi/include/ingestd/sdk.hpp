// The ingestd plugin SDK: everything a C++ plugin needs, header-only, built on
// the C ABI in <ingestd/abi.h>.
#pragma once

#include <ingestd/abi.h>
#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/evolving_batch.hpp>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/plugin.hpp>
#include <ingestd/sdk/plugin_class.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/schema.hpp>
#include <ingestd/sdk/schema_changes.hpp>
#include <ingestd/sdk/values.hpp>
