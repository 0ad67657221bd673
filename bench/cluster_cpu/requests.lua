-- wrk script: requests read from BENCH_REQUESTS, one per line:
--   METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY     (BODY optional; sent as JSON when present)
-- so that the load spreads over several users, each request with its own user's bearer token.
-- They are sent in random order (seeded by BENCH_SEED and the thread number). done() prints one
-- line "WRK rps=... p50_ms=... p99_ms=... requests=... non2xx=... errors=...".
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../wrk_common.lua")

local POOL = 4096
local pool = {}
setup = common.numbered_setup()

function init(args)
  local file = os.getenv("BENCH_REQUESTS")
  assert(file, "set BENCH_REQUESTS")
  local lines = {}
  for line in io.lines(file) do
    if #line > 0 then table.insert(lines, line) end
  end
  assert(#lines > 0, "no requests in " .. file)
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "4000") + id)
  for i = 1, POOL do
    local method, path, token, body = lines[math.random(#lines)]:match("^(%u+)\t([^\t]+)\t([^\t]+)\t?(.*)$")
    assert(method, "bad request line")
    local headers = { ["Authorization"] = "Bearer " .. token }
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    pool[i] = wrk.format(method, path, headers, body)
  end
end

request = common.cycle(pool)

done = common.done
