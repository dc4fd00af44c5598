#pragma once
// Versioned schema migrations. Migration N takes a database at user_version N-1 to N.
// Never edit a shipped migration: add a new one.

#include <span>
#include <string_view>

namespace tta::store::schema {

struct Migration {
  int version;
  std::string_view sql;
};

/// Every migration, in order; the last one's version is the current schema version.
std::span<const Migration> migrations();

}  // namespace tta::store::schema
