-- wrk script: GET requests with a bearer token over a list of paths, chosen at random.
-- BENCH_TARGETS names a file with one path per line; BENCH_TOKEN is the access token.
-- done() prints one line "WRK rps=... p50_ms=... p99_ms=... non2xx=... errors=...".

local POOL = 4096
local pool = {}
local n = 0
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local token = os.getenv("BENCH_TOKEN")
  local path = os.getenv("BENCH_TARGETS")
  assert(token and path, "set BENCH_TOKEN and BENCH_TARGETS")
  local paths = {}
  for line in io.lines(path) do
    if line:match("^/") then table.insert(paths, line) end
  end
  assert(#paths > 0, "no paths in " .. path)
  math.randomseed(2000 + id)
  for i = 1, POOL do
    pool[i] = wrk.format("GET", paths[math.random(#paths)], { ["Authorization"] = "Bearer " .. token })
  end
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
