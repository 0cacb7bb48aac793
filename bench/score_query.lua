-- wrk script: POST a query as a bank with key $XR_KEY: the body is $XR_BODY (a score query,
-- a financing match…), by default a pre-loan score query for the enterprise in $XR_USCC.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("XR_KEY")
wrk.body = os.getenv("XR_BODY") or ('{"enterprise":"' .. os.getenv("XR_USCC") .. '","purpose":"pre_loan"}')

-- A body holding @KEY@ gets a request key of its own per request (a decision is given once per
-- key; a repeated key would measure the lookup of the first answer, not a decision).
local template = wrk.body
local uuid = io.open("/proc/sys/kernel/random/uuid"):read("*l")
local n = 0
if string.find(template, "@KEY@", 1, true) then
  request = function()
    n = n + 1
    local body = string.gsub(template, "@KEY@", uuid .. "-" .. n)
    return wrk.format(nil, nil, nil, body)
  end
end

-- One RESULT line of figures, as bench/serve.sh reads it.
dofile("bench/wrk_result.lua")
