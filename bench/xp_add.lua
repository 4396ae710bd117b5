-- wrk script for POST /api/v1/xp/add/: every request signs in as the next player of the list
-- (session cookie + matching csrftoken cookie and X-CSRFToken header), and counts statuses.
-- BENCH_PLAYERS: a file of "<session key> <csrf token>" lines (one line = the hot-player run).
local players = {}
local idx = 0
counts = {}
local threads = {}
local body = os.getenv("BENCH_BODY") or '{"activity": "bench-run", "units": 1.5, "note": "bench"}'
local path = os.getenv("BENCH_PATH") or "/api/v1/xp/add/"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_PLAYERS")) do
    local s, c = line:match("^(%S+)%s+(%S+)")
    if s then players[#players + 1] = {s, c} end
  end
  -- threads start at different places in the list
  idx = ((tid or 1) - 1) * math.floor(#players / 2)
end

function request()
  idx = idx % #players + 1
  local p = players[idx]
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "sessionid=" .. p[1] .. "; csrftoken=" .. p[2],
    ["X-CSRFToken"] = p[2],
  }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c or {}) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  io.write("STATUS " .. table.concat(parts, " ") .. "\n")
end
