-- wrk script: requests read from BENCH_REQUESTS (one per line: METHOD<TAB>PATH<TAB>BODY, the
-- body optional), sent in random order with a bearer token (BENCH_TOKEN) and a JSON body.
-- done() prints one line "WRK rps=... p50_ms=... p99_ms=... non2xx=... errors=...".
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../wrk_common.lua")

local POOL = 4096
local pool = {}
setup = common.numbered_setup()

function init(args)
  local token = os.getenv("BENCH_TOKEN")
  local file = os.getenv("BENCH_REQUESTS")
  assert(token and file, "set BENCH_TOKEN and BENCH_REQUESTS")
  local lines = {}
  for line in io.lines(file) do
    if #line > 0 then table.insert(lines, line) end
  end
  assert(#lines > 0, "no requests in " .. file)
  math.randomseed(3000 + id)
  for i = 1, POOL do
    local method, path, body = lines[math.random(#lines)]:match("^(%u+)\t([^\t]+)\t?(.*)$")
    local headers = { ["Authorization"] = "Bearer " .. token }
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    pool[i] = wrk.format(method, path, headers, body)
  end
end

request = common.cycle(pool)

done = common.done
