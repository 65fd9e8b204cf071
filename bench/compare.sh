#!/usr/bin/env bash
# Side by side on this machine, in one run: the rocketkit broker (its own
# process, file storage) driven by the kit's client and by the official Go
# client through `rocketkit bench`, and NATS JetStream (the nats-server
# already running on 127.0.0.1:4222, file storage) through bench/nats.
# Prints throughput and CPU per message of each client and server.
#
#   bash bench/compare.sh            # 20 senders x 1 KiB, 1 sender x 10,000 (S3), a 200k backlog drain,
#                                    # end-to-end latency at 5k msg/s
#   COUNT=50000 bash bench/compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'kill $broker 2>/dev/null && wait $broker; rm -rf "$out"' EXIT
COUNT=${COUNT:-100000}
go build -o "$out/rocketkit" ./cmd/rocketkit
(cd bench/nats && go build -o "$out/natsbench" .)

ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{printf "%.0f", ($14+$15)*1e6/t}' "/proc/$1/stat"; } # µs
port=$((20000 + RANDOM % 20000))
"$out/rocketkit" broker -listen 127.0.0.1:$port -data "$out/data" -log-level warn &
broker=$!
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
natspid=$(pgrep -x nats-server | head -1)

# run LABEL SERVERPID MESSAGES COMMAND...: the command's output, then the
# server's CPU per message over the command.
run() {
	local label=$1 pid=$2 n=$3; shift 3
	local before; before=$(cpu "$pid")
	echo "== $label"
	"$@" | grep -E 'throughput|client CPU|nats (publish|drain)|latency' || true
	echo "   server CPU $(( ($(cpu "$pid") - before) / n )) µs/msg (pid $pid)"
}

for client in rocketkit official; do
	run "rocketkit broker, $client client, 20 senders sync 1 KiB" $broker "$COUNT" \
		"$out/rocketkit" bench produce --client $client -n 127.0.0.1:$port -t cmp-$client -w 20 -s 1024 --count "$COUNT"
	run "rocketkit broker, $client client, 1 sender sync 10,000 (S3)" $broker 10000 \
		"$out/rocketkit" bench produce --client $client -n 127.0.0.1:$port -t cmp1-$client -w 1 -s 1024 --count 10000
done
run "NATS JetStream, 20 publishers sync 1 KiB, one connection" "$natspid" "$COUNT" \
	"$out/natsbench" -mode publish -w 20 -s 1024 -count "$COUNT"
run "NATS JetStream, 1 publisher sync 10,000" "$natspid" 10000 \
	"$out/natsbench" -mode publish -w 1 -s 1024 -count 10000

# A 200k backlog drained by one group.
"$out/rocketkit" bench produce -n 127.0.0.1:$port -t cmp-drain -w 20 -s 1024 --count 200000 --mode async >/dev/null
for client in rocketkit official; do
	run "rocketkit broker, $client client, drain 200k backlog" $broker 200000 \
		"$out/rocketkit" bench consume --client $client -n 127.0.0.1:$port -t cmp-drain -g drain-$client --count 200000 --duration 5m
done
run "NATS JetStream, pull consumer with AckAll, drain 200k" "$natspid" 200000 \
	"$out/natsbench" -mode drain -s 1024 -count 200000

# End-to-end latency at a steady 5,000 msg/s (consumer running first).
for client in rocketkit official; do
	echo "== rocketkit broker, $client client, end to end at 5k msg/s for 10 s"
	"$out/rocketkit" bench consume --client $client -n 127.0.0.1:$port -t lat-$client -g lat-$client --from last \
		--count 50000 --duration 60s >"$out/lat.txt" 2>&1 &
	consumer=$!
	sleep 3
	"$out/rocketkit" bench produce --client $client -n 127.0.0.1:$port -t lat-$client -w 4 -s 1024 --rate 5000 \
		--count 50000 >/dev/null
	wait $consumer || true
	grep -E 'received|end-to-end' "$out/lat.txt" | grep -v '^\[' || true
done
