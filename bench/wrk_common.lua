-- Shared by the wrk scripts in bench/: cycling through a pool of prebuilt requests, and the
-- one summary line every bench script parses ("WRK rps=... p50_ms=... p99_ms=... ...").
-- Load with: dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "wrk_common.lua")

local common = {}

-- A request() function that returns pool[1], pool[2], ... and starts over. The pool is filled
-- in init(), after this is called: its size is read on the first request.
function common.cycle(pool)
  local n, size = 0, nil
  return function()
    size = size or #pool
    n = n + 1
    if n > size then n = 1 end
    return pool[n]
  end
end

-- A setup() that numbers wrk's threads 1, 2, ... in their global `id` (each seeds its random
-- choices with it); `on_thread`, if given, is called with each thread too.
function common.numbered_setup(on_thread)
  local counter = 1
  return function(thread)
    thread:set("id", counter)
    counter = counter + 1
    if on_thread then on_thread(thread) end
  end
end

function common.done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format("WRK rps=%.0f p50_ms=%.3f p99_ms=%.3f mb_s=%.1f requests=%d non2xx=%d errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.bytes / secs / 1e6, summary.requests, e.status, errors))
end

return common
