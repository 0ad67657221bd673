// A named consumer of the event log: it turns batches of events into derived state (its own
// tables, and optionally a view in memory). The runner (runner.h) reads the log after the
// consumer's committed offset, calls apply() inside a write transaction and stores the new
// offset in that same transaction, so each event changes the derived state exactly once.
//
// The runner calls a consumer's methods from one thread at a time (its own thread, or the
// caller of drop_and_replay, delete_user or catch_up), never concurrently. Read-side methods a
// consumer adds (e.g. popularity()) must be safe from any thread.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "events/event.h"
#include "store/database.h"

namespace segue::events {

class Consumer {
 public:
  virtual ~Consumer() = default;

  // Unique and stable: the key of the committed offset in `event_consumers`.
  virtual const std::string& name() const = 0;

  // A consumer outside this module with tables of its own names their migrations here; the
  // EventLog applies them to the database that holds the consumer's state (its own derived
  // database, or the log's) before anything runs. Built-in consumers' tables come with
  // event_migrations() / derived_migrations() instead.
  virtual std::string migration_module() const { return {}; }
  virtual std::vector<store::Migration> migrations() const { return {}; }

  // Loads the in-memory view from the consumer's tables (at start; read transaction).
  virtual Status load(store::Connection& c) { return {}; }

  // Applies `events` (offset order, every offset > the committed offset) to the derived tables
  // through `c`, inside the runner's transaction. An error rolls back everything the batch did;
  // the runner retries the batch later.
  virtual Status apply(store::Connection& c, std::span<const Event> events) = 0;

  // Deletes every derived row (inside the runner's transaction); the log is replayed from 0.
  virtual Status reset(store::Connection& c) = 0;

  // Removes `user`'s derived rows and takes their contribution out of shared aggregates, inside
  // the runner's transaction. `applied` are the user's events this consumer already applied
  // (offset <= its committed offset); they are deleted from the log in the same transaction.
  virtual Status forget_user(store::Connection& c, const UserId& user, std::span<const Event> applied) = 0;

  // After the runner's transaction committed (publish pending in-memory changes) or rolled back
  // (drop them). Every apply/reset/forget_user is followed by exactly one of these.
  virtual void on_commit() {}
  virtual void on_rollback() {}
};

}  // namespace segue::events
