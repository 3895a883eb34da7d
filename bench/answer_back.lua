-- wrk script: each connection's session answers the first step, then goes back, and again.
-- One wrk thread serves many connections and cannot tell them apart, so sessions wait in a
-- queue between requests: each response names its session, revision and position, which
-- say what to send next. A queue that is empty (at the start, or after a refused move)
-- starts a new session.
local ready = {}
local flow = os.getenv("BENCH_FLOW") or "deposit-missing-memo"
local answer = os.getenv("BENCH_ANSWER") or "in"

wrk.headers["Content-Type"] = "application/json"

request = function()
  local session = table.remove(ready)
  if session == nil then
    return wrk.format("POST", "/api/v1/sessions", nil, '{"flow":"' .. flow .. '"}')
  end
  if session.position == "0" then
    return wrk.format("POST", "/api/v1/sessions/" .. session.id .. "/answer", nil,
      '{"answer":"' .. answer .. '","revision":' .. session.revision .. '}')
  end
  return wrk.format("POST", "/api/v1/sessions/" .. session.id .. "/back", nil, "")
end

response = function(status, headers, body)
  local id = body:match('^{"id":"([%x%-]+)"')
  local revision = body:match('"revision":(%d+)')
  local position = body:match('"position":(%d+)')
  if status < 300 and id and revision and position then
    table.insert(ready, { id = id, revision = revision, position = position })
  end
end
