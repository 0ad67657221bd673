-- wrk script: whole-file GETs over a set of paths (the web player's index.html and assets),
-- the requests a browser makes when it opens the player with a cold cache.
--
-- BENCH_TARGETS names a file of lines "PATH SIZE"; every thread walks the same shuffled
-- sequence, so Segue and nginx get identical requests. done() prints the WRK summary line.

local POOL = 4096
local pool = {}
local n = 0
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local path = os.getenv("BENCH_TARGETS")
  assert(path, "set BENCH_TARGETS")
  local targets = {}
  for line in io.lines(path) do
    local p = line:match("^(%S+)%s+%d+$")
    if p then table.insert(targets, p) end
  end
  assert(#targets > 0, "no targets in " .. path)
  math.randomseed(2000 + id)
  for i = 1, POOL do pool[i] = wrk.format("GET", targets[math.random(#targets)]) end
  n = 0
end

function request()
  n = n + 1
  if n > POOL then n = 1 end
  return pool[n]
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format("WRK rps=%.0f p50_ms=%.3f p99_ms=%.3f mb_s=%.1f requests=%d non2xx=%d errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.bytes / secs / 1e6, summary.requests, e.status, errors))
end
