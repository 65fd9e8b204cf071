#!/usr/bin/env bash
# The services and programs `task test` uses besides Go, brought up when
# missing, so the README's test command works on a fresh Debian machine
# with only Go on it: MariaDB (the outbox and txcheck tests, and the fault
# run's private mariadbd), headless Chromium (the console's browser tests)
# and ip (the cluster tests across network-namespace hosts). Installing
# needs root and Debian's packages; elsewhere it says what to install.
# Nothing is done when everything is there.
set -euo pipefail

need_root() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "test-deps: $1 is missing; install it (Debian: apt-get install -y $2) or run as root to have it installed" >&2
    exit 1
  fi
}

# MariaDB's server binaries: the fault run (task fault-run) starts a
# mariadbd of its own with mariadb-install-db (in mariadb-server-core, a
# dependency of mariadb-server), whatever server the tests use.
if [ ! -x /usr/sbin/mariadbd ] || ! command -v mariadb-install-db >/dev/null; then
  need_root "MariaDB (mariadbd, mariadb-install-db)" mariadb-server
  echo "test-deps: installing mariadb-server"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi

# A MySQL-compatible server for the outbox and txcheck tests, which never
# skip: MYSQL_DSN if set, else MariaDB on 127.0.0.1:3306 (root, no
# password), started here when nothing answers there.
if [ -z "${MYSQL_DSN:-}" ] && ! (echo > /dev/tcp/127.0.0.1/3306) 2>/dev/null; then
  need_root "a MySQL server on 127.0.0.1:3306 (or MYSQL_DSN)" mariadb-server
  mkdir -p /run/mysqld
  chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do
    (echo > /dev/tcp/127.0.0.1/3306) 2>/dev/null && break
    sleep 1
  done
  (echo > /dev/tcp/127.0.0.1/3306) 2>/dev/null || { echo "test-deps: MariaDB did not start" >&2; exit 1; }
fi

# Headless Chromium for the web console's browser tests (task
# test-browser), which never skip.
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  need_root "Chromium" chromium
  echo "test-deps: installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# iproute2's ip for the cluster tests across hosts (task cluster-hosts:
# network namespaces and veth pairs), which never skip in CI.
if ! command -v ip >/dev/null; then
  need_root "ip (iproute2)" iproute2
  echo "test-deps: installing iproute2"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
fi
