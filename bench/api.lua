-- wrk script: GET requests with a bearer token over a list of paths, chosen at random.
-- BENCH_TARGETS names a file with one path per line; BENCH_TOKEN is the access token.
-- done() prints one line "WRK rps=... p50_ms=... p99_ms=... non2xx=... errors=...".

local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "wrk_common.lua")

local POOL = 4096
local pool = {}
setup = common.numbered_setup()

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

request = common.cycle(pool)

done = common.done
