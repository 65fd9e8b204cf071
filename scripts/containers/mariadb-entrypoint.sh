#!/bin/sh
# Entrypoint of the offline MariaDB image (build-mariadb-image.sh). It takes
# the official mysql/mariadb images' environment, so testcontainers' mysql
# module (or anything written for those images) drives it unchanged:
#
#   MYSQL_ROOT_PASSWORD         root's password (root@'%' and root@localhost)
#   MYSQL_ALLOW_EMPTY_PASSWORD  "yes": root without a password
#   MYSQL_DATABASE              a database created on first start
#   MYSQL_USER, MYSQL_PASSWORD  a user with all rights on MYSQL_DATABASE
#   MYSQL_TCP_PORT              the port to listen on (default 3306); the
#                               official image's way, --port=N as an
#                               argument, works too
#
# Arguments starting with "-" go to mariadbd, as with the official image
# (`docker run IMAGE --port=3307 --bind-address=127.0.0.1`); any other
# command runs instead of the server.
set -eu

if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- mariadbd "$@"
fi
case "$1" in
mariadbd | mysqld) shift ;;
*) exec "$@" ;;
esac

log() { echo "entrypoint: $*" >&2; }

datadir=/var/lib/mysql
sock=/run/mysqld/mysqld.sock
mkdir -p /run/mysqld "$datadir"
chown mysql:mysql /run/mysqld "$datadir"

if [ -n "${MYSQL_TCP_PORT:-}" ]; then
	set -- --port="$MYSQL_TCP_PORT" "$@"
fi

# sql_quote 'it'"'"'s' -> 'it''s' (a string literal for the init SQL).
sql_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"
}

if [ ! -d "$datadir/mysql" ]; then
	if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" != yes ]; then
		log "database is uninitialized and no password option is set:"
		log "set MYSQL_ROOT_PASSWORD, or MYSQL_ALLOW_EMPTY_PASSWORD=yes"
		exit 1
	fi
	log "initializing $datadir"
	mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
		--auth-root-authentication-method=normal >/dev/null
	mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket="$sock" &
	pid=$!
	i=0
	until mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
			log "init server did not start"
			exit 1
		fi
		sleep 0.2
	done
	pw=$(sql_quote "${MYSQL_ROOT_PASSWORD:-}")
	{
		echo "SET @@SESSION.SQL_LOG_BIN=0;"
		echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host NOT IN ('localhost'));"
		echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;"
		echo "CREATE USER 'root'@'%' IDENTIFIED BY $pw;"
		echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
		if [ -n "${MYSQL_DATABASE:-}" ]; then
			echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
		fi
		if [ -n "${MYSQL_USER:-}" ] && [ "$MYSQL_USER" != root ]; then
			echo "CREATE USER $(sql_quote "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_quote "${MYSQL_PASSWORD:-}");"
			if [ -n "${MYSQL_DATABASE:-}" ]; then
				echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO $(sql_quote "$MYSQL_USER")@'%';"
			fi
		fi
		echo "FLUSH PRIVILEGES;"
	} | mariadb --socket="$sock" -uroot
	mariadb-admin --socket="$sock" -uroot --password="${MYSQL_ROOT_PASSWORD:-}" shutdown
	wait $pid || true
	log "initialized"
fi

exec mariadbd --user=mysql --datadir="$datadir" --socket="$sock" "$@"
