-- Replays a tundra-gen pcap at line rate from a second box with pktgen-dpdk
-- and samples what tundra's box receives. See docs/bench.md ("pktgen-dpdk").
--
-- Start pktgen with the pcap loaded on port 0, e.g.
--   pktgen -l 0-4 -n 4 -a 0000:3b:00.0 -- -P -m "[1-2:3-4].0" -s 0:/data/mix.pcap \
--          -f bench/pktgen/replay.lua
-- Environment (read once): RATE (percent of line rate, default 100),
-- SECONDS (default 30), PORT (default "0").
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port    = os.getenv("PORT") or "0"
local rate    = tonumber(os.getenv("RATE") or "100")
local seconds = tonumber(os.getenv("SECONDS") or "30")

pktgen.stop(port)
pktgen.clr()
pktgen.pcap(port, "on")          -- send the -s pcap instead of the single-packet template
pktgen.set(port, "rate", rate)   -- percent of the link speed
pktgen.start(port)
printf("replaying on port %s at %d%% for %d s\n", port, rate, seconds)

local max_tx = 0
for i = 1, seconds do
	pktgen.delay(1000)
	local r = pktgen.portStats(port, "rate")[tonumber(port)]
	if r.pkts_tx > max_tx then max_tx = r.pkts_tx end
	printf("t=%3d s  tx %10d pps  %8d Mbit/s  rx %10d pps\n", i, r.pkts_tx, r.mbits_tx, r.pkts_rx)
end
pktgen.stop(port)
local s = pktgen.portStats(port, "port")[tonumber(port)]
printf("sent %d packets (peak %d pps); opackets=%d oerrors=%d\n", s.opackets, max_tx, s.opackets, s.oerrors)
