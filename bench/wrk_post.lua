-- wrk script for bench/ingest.py (see bench/wrkload.py): POST pre-signed webhooks in file order.
--
-- Environment:
--   PAYLOADS     file with one "signature<TAB>body" line per webhook (body: one-line JSON)
--   TARGET_PATH  request path, e.g. /webhooks/whatsapp/<account id>
--   CYCLE        "1": start over at the first line when the file is used up; otherwise the
--                thread stops instead of sending any webhook twice (reported as exhausted)
--
-- done() prints one line for the caller to parse:
--   CCSTATS {"requests":N,"ok":N,"non200":N,"sent":N,"pool":N,"exhausted":B,...}
-- "sent" counts the lines handed out, in file order, so every request wrk completed
-- carries one of the first "sent" lines (wrk calls request() once before the run to check the
-- script; that first line is counted but never sent). Latencies are in milliseconds.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   path = os.getenv("TARGET_PATH") or error("TARGET_PATH is not set")
   cycle = os.getenv("CYCLE") == "1"
   local name = os.getenv("PAYLOADS") or error("PAYLOADS is not set")
   local file = io.open(name, "rb") or error("cannot open PAYLOADS file " .. name)
   signatures, bodies = {}, {}
   for line in file:lines() do
      local tab = string.find(line, "\t", 1, true) or error("no tab in a PAYLOADS line")
      table.insert(signatures, string.sub(line, 1, tab - 1))
      table.insert(bodies, string.sub(line, tab + 1))
   end
   file:close()
   pool = #bodies
   if pool == 0 then error("PAYLOADS file is empty") end
   sent, ok, non200, exhausted = 0, 0, 0, false
   -- The timed run starts right after init: tell the caller, which starts its CPU meters.
   io.stderr:write("CCREADY\n")
   io.stderr:flush()
end

function request()
   if sent >= pool and not cycle then
      -- Never send a webhook twice: stop this thread. The request returned here still goes
      -- out, so make it one that stores nothing, and stop counting responses.
      if not exhausted then
         exhausted = true
         wrk.thread:stop()
      end
      return wrk.format("GET", "/readyz", {}, nil)
   end
   local i = sent % pool + 1
   sent = sent + 1
   local headers = {
      ["Content-Type"] = "application/json",
      ["X-Hub-Signature-256"] = signatures[i],
   }
   return wrk.format("POST", path, headers, bodies[i])
end

function response(status, headers, body)
   if exhausted then
      return
   end
   if status == 200 then
      ok = ok + 1
   else
      non200 = non200 + 1
   end
end

function done(summary, latency, requests)
   local total = { ok = 0, non200 = 0, sent = 0, pool = 0, exhausted = false }
   for _, thread in ipairs(threads) do
      total.ok = total.ok + thread:get("ok")
      total.non200 = total.non200 + thread:get("non200")
      total.sent = total.sent + thread:get("sent")
      total.pool = thread:get("pool")
      total.exhausted = total.exhausted or thread:get("exhausted")
   end
   local e = summary.errors
   local fields = {
      string.format('"requests":%d', summary.requests),
      string.format('"ok":%d', total.ok),
      string.format('"non200":%d', total.non200),
      string.format('"sent":%d', total.sent),
      string.format('"pool":%d', total.pool),
      string.format('"exhausted":%s', tostring(total.exhausted)),
      string.format('"duration_s":%.6f', summary.duration / 1e6),
      string.format('"p50_ms":%.3f', latency:percentile(50) / 1000),
      string.format('"p90_ms":%.3f', latency:percentile(90) / 1000),
      string.format('"p99_ms":%.3f', latency:percentile(99) / 1000),
      string.format('"max_ms":%.3f', latency.max / 1000),
      string.format('"mean_ms":%.3f', latency.mean / 1000),
      string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
                    e.connect, e.read, e.write, e.status, e.timeout),
   }
   io.write("CCSTATS {" .. table.concat(fields, ",") .. "}\n")
end
