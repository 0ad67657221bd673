-- wrk script: whole-file GETs over a set of paths (the web player's index.html and assets),
-- the requests a browser makes when it opens the player with a cold cache.
--
-- BENCH_TARGETS names a file of lines "PATH SIZE"; every thread walks the same shuffled
-- sequence, so Segue and nginx get identical requests. done() prints the WRK summary line.

local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "wrk_common.lua")

local POOL = 4096
local pool = {}
setup = common.numbered_setup()

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
end

request = common.cycle(pool)

done = common.done
