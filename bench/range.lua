-- wrk script: 16 KB range requests at random 16 KB-aligned offsets over a set of files.
--
-- BENCH_TARGETS names a file of lines "PATH SIZE" (PATH may carry a query string, e.g. the
-- stream token; nginx ignores it). The same targets file and the same seeds are used for Segue
-- and nginx, so both servers get the same sequence of requests. Requests are built once in
-- init() (a pool of 4096 per thread) so that wrk spends its CPU on I/O, not on Lua.
-- done() prints one line "WRK rps=... p50_ms=... p99_ms=... non2xx=... errors=...".

local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "wrk_common.lua")

local CHUNK = 16384
local POOL = 4096
local pool = {}
local threads = {}

setup = common.numbered_setup(function(thread) table.insert(threads, thread) end)

function init(args)
  local path = os.getenv("BENCH_TARGETS")
  assert(path, "set BENCH_TARGETS")
  local targets = {}
  for line in io.lines(path) do
    local p, size = line:match("^(%S+)%s+(%d+)$")
    if p then table.insert(targets, { path = p, size = tonumber(size) }) end
  end
  assert(#targets > 0, "no targets in " .. path)
  math.randomseed(1000 + id)
  for i = 1, POOL do
    local t = targets[math.random(#targets)]
    local slots = math.floor(t.size / CHUNK)
    if slots < 1 then slots = 1 end
    local first = (math.random(slots) - 1) * CHUNK
    local last = first + CHUNK - 1
    if last > t.size - 1 then last = t.size - 1 end
    pool[i] = wrk.format("GET", t.path, { ["Range"] = "bytes=" .. first .. "-" .. last })
  end
end

request = common.cycle(pool)

done = common.done
