// Whether a database answers, for health checks: one trivial read on a reader connection.
// Error::unavailable (from the engine) while it cannot be reached. Blocking: worker threads.
#pragma once

#include "common/result.h"
#include "store/database.h"

namespace segue::store {

Status ping(Database& db);

}  // namespace segue::store
