#pragma once
// Version 21 (schema.sql) stores a file place's contents once per version and keeps the per-scan tables of
// earlier versions as views of the same names. An older inventory's tables are set aside before a store applies
// its schema file, and copied into versions after it. The same statements serve both stores. Internal to
// inventory/.
#include "inventory/sql_connection.hpp"

namespace certfleet::inventory {

// Renames an older inventory's per-scan place tables out of the way (brought to version 20's shape first, as
// version 20's migration would have); false when there are none (a new inventory, or one of version 21).
bool set_aside_per_scan_place_tables(SqlConnection& db);

// Makes each scan's contents of each place a version of its own, then drops the tables set aside.
void convert_per_scan_place_tables(SqlConnection& db);

}  // namespace certfleet::inventory
