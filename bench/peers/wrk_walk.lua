-- wrk script for the apig bench: every request is a ListInstancesV2 page, walking the offsets
-- of the list as apig-bench does (page k at offset k * limit, wrapping), with the token in
-- X-Auth-Token. wrk reads each response whole but does not parse the JSON: the transport
-- ceiling. Usage (bench/run does this):
--
--   APIG_AUTH_TOKEN=... wrk -t1 -cC -dSECONDS --latency -s wrk_walk.lua https://127.0.0.1:PORT \
--       -- PROJECT_ID LIMIT TOTAL FIRST_PAGE
--
-- Prints, after wrk's own report, one JSON line starting with {"tool":"wrk".
-- No response() function on purpose: defining one makes wrk copy every body into Lua.

local token = os.getenv("APIG_AUTH_TOKEN") or os.getenv("APIG_EMULATOR_TOKEN") or "emulator-token"
local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("thread_index", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

-- Globals, so that done() can read them back with thread:get().

function init(args)
   project = args[1] or "73d69ae0cfcf460190522d06b60f05ad"
   limit = tonumber(args[2] or "500")
   local total = tonumber(args[3] or "1000000")
   pages_in_list = math.max(1, math.floor(total / limit))
   -- threads interleave pages: thread i takes first+i, first+i+n, ...
   stride = tonumber(args[5] or "1")
   page = tonumber(args[4] or "0") + (thread_index or 0)
   wrk.headers["X-Auth-Token"] = token
   wrk.headers["Accept"] = "application/json"
end

function request()
   local offset = (page % pages_in_list) * limit
   page = page + stride
   return wrk.format("GET", "/v2/" .. project .. "/apigw/instances?offset=" .. offset ..
                     "&limit=" .. limit)
end

function done(summary, latency, requests)
   -- done() runs in wrk's main Lua state, where init() did not run: ask a thread.
   local limit = tonumber(threads[1]:get("limit"))
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      '{"tool":"wrk","limit":%d,"pages":%d,"instances":%d,"bytes":%d,"seconds":%.6f,' ..
      '"pages_per_s":%.1f,"instances_per_s":%.1f,"mb_per_s":%.2f,"p50_ms":%.3f,"p99_ms":%.3f,' ..
      '"errors":%d,"non_2xx":%d}\n',
      limit, summary.requests, summary.requests * limit, summary.bytes, secs,
      summary.requests / secs, summary.requests * limit / secs, summary.bytes / 1e6 / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      e.connect + e.read + e.write + e.timeout, e.status))
end
