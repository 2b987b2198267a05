#pragma once
// The version of the inventory's logical model, which both stores' schema files (schema.sql, pg_schema.sql)
// describe: a store finding an older one brings it up to date first, and refuses a newer one.

namespace certfleet::inventory {

inline constexpr int kSchemaVersion = 20;

}  // namespace certfleet::inventory
