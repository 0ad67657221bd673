// Multi-row statements for the consumers' writes: `head VALUES (?,...),(?,...) tail` over many
// rows, in chunks of 64, 8 and 1 rows (three statement texts, each prepared once and cached by
// the connection). One statement per 64 rows instead of one per row: the per-statement costs
// (the connection's statement-cache lookup by SQL text, binding setup, VDBE start-up) are paid
// 64 times less often. Rows keep their order.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "store/database.h"

namespace segue::events {

class MultiRow {
 public:
  // `head`: "INSERT INTO t (a, b)"; `tail`: "" or "ON CONFLICT ... DO UPDATE SET ...".
  MultiRow(const std::string& head, int columns, const std::string& tail) : columns_(columns) {
    std::string row = "(";
    for (int i = 0; i < columns; ++i) row += i ? ",?" : "?";
    row += ")";
    for (int k = 0; k < 3; ++k) {
      std::string s = head + " VALUES ";
      for (int i = 0; i < kChunks[k]; ++i) s += i ? "," + row : row;
      if (!tail.empty()) s += " " + tail;
      sql_[k] = std::move(s);
    }
  }

  // `values`: the rows one after another (a multiple of `columns`); consumed.
  Status run(store::Connection& c, std::vector<store::Value>&& values) const {
    const std::size_t rows = values.size() / static_cast<std::size_t>(columns_);
    std::vector<store::Value> params;
    std::size_t i = 0;
    for (int k = 0; k < 3; ++k) {
      const auto chunk = static_cast<std::size_t>(kChunks[k]);
      while (rows - i >= chunk) {
        params.clear();
        auto first = values.begin() + static_cast<std::ptrdiff_t>(i * columns_);
        params.insert(params.end(), std::make_move_iterator(first),
                      std::make_move_iterator(first + static_cast<std::ptrdiff_t>(chunk * columns_)));
        SEGUE_TRY(c.exec(sql_[k], params));
        i += chunk;
      }
    }
    return {};
  }

 private:
  static constexpr int kChunks[3] = {64, 8, 1};
  std::string sql_[3];
  int columns_;
};

}  // namespace segue::events
