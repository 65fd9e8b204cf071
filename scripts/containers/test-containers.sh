#!/usr/bin/env bash
# The outbox and txcheck suites on a MariaDB container started through
# testcontainers-go (`go tool -modfile=tools/go.mod task test-containers`).
#
# From a clean machine: installs docker.io and debootstrap from Debian's
# packages if missing, starts dockerd if none answers (no bridge, no
# iptables: containers run on the host's network, nothing gets a private
# address), builds the image offline if missing (build-mariadb-image.sh),
# then, with testcontainers' reaper off and the host network:
#   1. the mysqlcontainer module's own tests: no MYSQL_DSN, so a blank
#      import's provider starts the container behind outboxtest.Open;
#   2. withmysql starts one container and runs
#      go test -race -count=1 ./outbox/... ./txcheck/... with MYSQL_DSN
#      set to it, then removes it.
# Needs root (apt-get, dockerd). ROCKETKIT_MYSQL_IMAGE picks another image
# (then nothing is built: it must be in docker already).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mod="$repo/outbox/outboxtest/mysqlcontainer"
local_image=rocketkit/mariadb:local
export ROCKETKIT_MYSQL_IMAGE=${ROCKETKIT_MYSQL_IMAGE:-$local_image}
export ROCKETKIT_MYSQL_NETWORK=host
export TESTCONTAINERS_RYUK_DISABLED=true
unset MYSQL_DSN

say() { echo "test-containers: $*"; }

# 1. Packages.
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The daemon.
if ! docker info >/dev/null 2>&1; then
	log=/var/log/rocketkit-dockerd.log
	say "starting dockerd --bridge=none --iptables=false (log $log)"
	setsid nohup dockerd --bridge=none --iptables=false >"$log" 2>&1 </dev/null &
	for _ in $(seq 120); do
		docker info >/dev/null 2>&1 && break
		sleep 0.5
	done
	docker info >/dev/null 2>&1 || { tail -n 30 "$log"; say "dockerd did not come up"; exit 1; }
fi
say "docker $(docker version -f '{{.Server.Version}}')"

# 3. The image.
if [ "$ROCKETKIT_MYSQL_IMAGE" = "$local_image" ]; then
	bash "$here/build-mariadb-image.sh" "$local_image"
fi
docker image inspect "$ROCKETKIT_MYSQL_IMAGE" >/dev/null

# Containers of this image that a killed earlier run left behind (the
# reaper is off).
stale=$(docker ps -aq --filter label=org.testcontainers=true --filter "ancestor=$ROCKETKIT_MYSQL_IMAGE")
if [ -n "$stale" ]; then
	say "removing containers left by an earlier run: $(echo $stale)"
	docker rm -f $stale >/dev/null
fi

# 4. The tests.
bridges_before=$(docker network ls -q --filter driver=bridge | sort)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$mod"
go vet ./...
go build -o "$tmp/withmysql" ./cmd/withmysql
say "mysqlcontainer's tests (outboxtest.Open starts the container)"
go test -race -count=1 -v ./...
say "outbox and txcheck on a container"
"$tmp/withmysql" -C "$repo" go test -race -count=1 ./outbox/... ./txcheck/...
left=$(docker ps -aq --filter label=org.testcontainers=true --filter "ancestor=$ROCKETKIT_MYSQL_IMAGE")
if [ -n "$left" ]; then
	say "containers left behind: $left"
	exit 1
fi
# testcontainers makes a bridge network of its own ("reaper_default") on a
# daemon without one unless told not to (mysqlcontainer.runOnHostNetwork).
if [ "$(docker network ls -q --filter driver=bridge | sort)" != "$bridges_before" ]; then
	say "a bridge network was created: $(docker network ls --filter driver=bridge --format '{{.Name}}')"
	exit 1
fi
say "passed: no container left, no network created"
