-- wrk script for bench/bench.py: the API key first (after "--"), then application ids. Every
-- other request is the list page (100 rows), the others the detail of the next id in turn.
-- done() prints the figures bench.py reads (wrk's own report has no p95).
local ids, n = {}, 0

init = function(args)
  wrk.headers["Authorization"] = "Token " .. args[1]
  for i = 2, #args do ids[#ids + 1] = args[i] end
end

request = function()
  n = n + 1
  if n % 2 == 0 or #ids == 0 then
    return wrk.format("GET", "/api/v1/applications/?page_size=100")
  end
  return wrk.format("GET", "/api/v1/applications/" .. ids[math.floor(n / 2) % #ids + 1] .. "/")
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("bench_rps %.2f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("bench_requests %d\n", summary.requests))
  io.write(string.format("bench_p50_ms %.1f\n", latency:percentile(50) / 1000))
  io.write(string.format("bench_p95_ms %.1f\n", latency:percentile(95) / 1000))
  io.write(string.format("bench_errors %d\n", e.connect + e.read + e.write + e.status + e.timeout))
end
