-- wrk script: POST /v1/guarantees as a bank with key $XR_KEY, each request for the next approved
-- decision of the file $XR_DECISIONS (one id per line) under agreement $XR_AGREEMENT, with a
-- request key of its own. Stops asking (and counts nothing more) when the decisions run out.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("XR_KEY")
local ids = {}
for line in io.lines(os.getenv("XR_DECISIONS")) do ids[#ids + 1] = line end
local agreement = os.getenv("XR_AGREEMENT")
local run = io.open("/proc/sys/kernel/random/uuid"):read("*l")
local n = tonumber(os.getenv("XR_OFFSET") or "0")
request = function()
  n = n + 1
  local id = ids[((n - 1) % #ids) + 1]
  local body = '{"agreement_id":"' .. agreement .. '","decision_id":"' .. id .. '","request_key":"' .. run .. '-' .. n .. '"}'
  return wrk.format(nil, nil, nil, body)
end

-- One RESULT line of figures, as bench/serve.sh reads it.
dofile("bench/wrk_result.lua")
