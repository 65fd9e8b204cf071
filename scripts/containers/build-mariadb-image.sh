#!/usr/bin/env bash
# Builds the MariaDB image the container tests run, without an image
# registry: Debian bookworm with mariadb-server by debootstrap from the
# mirror apt is configured with, imported into docker as $BASE (slow, once:
# docker keeps it), then mariadb-entrypoint.sh committed on top as $IMAGE
# (seconds; redone when the entrypoint changes).
#
# usage: build-mariadb-image.sh [IMAGE]   (default rocketkit/mariadb:local)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
IMAGE=${1:-rocketkit/mariadb:local}
BASE=rocketkit/mariadb-base:bookworm
SUITE=bookworm

# The first Debian mirror apt uses (deb822 .sources or one-line .list).
mirror() {
	local m
	m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
	if [ -z "$m" ]; then
		m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | grep -i debian | head -n1 || true)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
	root=$(mktemp -d /var/tmp/rocketkit-mariadb-rootfs.XXXXXX)
	trap 'rm -rf "$root" "$root.log"' EXIT
	m=$(mirror)
	echo "build-mariadb-image: debootstrap $SUITE with mariadb-server from $m (once; docker keeps $BASE)"
	start=$(date +%s)
	debootstrap --variant=minbase --include=mariadb-server,mariadb-client "$SUITE" "$root" "$m" >"$root.log" 2>&1 ||
		{ tail -n 30 "$root.log"; exit 1; }
	# The package's postinst made a datadir; the entrypoint makes its own
	# on first start, with the passwords the container is given.
	rm -rf "$root"/var/lib/mysql/* "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
	tar -C "$root" --numeric-owner -c . |
		docker import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
	echo "build-mariadb-image: $BASE built in $(($(date +%s) - start))s"
	rm -rf "$root" "$root.log"
	trap - EXIT
fi

# The entrypoint layer: its checksum is in the image (ENV), so an edited
# script is rebuilt and an unchanged one is not.
sum=$(sha256sum "$here/mariadb-entrypoint.sh" | cut -c1-16)
if docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" 2>/dev/null |
	grep -qx "ROCKETKIT_ENTRYPOINT=$sum"; then
	exit 0
fi
cid=$(docker create "$BASE" /bin/true)
trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
docker cp "$here/mariadb-entrypoint.sh" "$cid:/usr/local/bin/docker-entrypoint.sh"
docker commit \
	--change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
	--change 'CMD ["mariadbd"]' \
	--change "ENV ROCKETKIT_ENTRYPOINT=$sum" \
	--change 'EXPOSE 3306' \
	"$cid" "$IMAGE" >/dev/null
echo "build-mariadb-image: $IMAGE (entrypoint $sum)"
