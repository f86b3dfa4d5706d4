-- wrk script for bench/intake.py: every request a signed webhook with a delivery id of its own.
-- args: <id prefix> <body file> <X-Hub-Signature value> <"close" for a new connection per request>
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix = args[1] .. "-" .. tid .. "-"
  local file = assert(io.open(args[2], "rb"))
  body = file:read("*a")
  file:close()
  headers = {["Content-Type"] = "application/json", ["X-Hub-Signature"] = args[3]}
  if args[4] == "close" then headers["Connection"] = "close" end
  sent, statuses = 0, {}
end

function request()
  sent = sent + 1
  headers["X-Atlassian-Webhook-Identifier"] = prefix .. sent
  return wrk.format("POST", "/webhooks/jira", headers, body)
end

function response(status, _headers, _body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- One JSON line on stdout for bench/intake.py: totals, latency percentiles (ms), statuses.
function done(summary, latency, _requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, errors.connect, errors.read, errors.write, errors.timeout, table.concat(parts, ", ")))
end
