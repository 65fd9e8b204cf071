// Package outboxtest gives tests of the MySQL components (outbox, inbox,
// txcheck) a database of their own on a real server.
//
// The server is MYSQL_DSN when set, else the one a provider installed with
// SetServer gives, else root@tcp(127.0.0.1:3306)/test (CI and dev machines
// run MariaDB there). Each call creates a database with a unique name and
// drops it when the test ends. Without a reachable server the test fails
// with a message saying so: it never skips, because a skipped
// transactional test hides exactly the bugs it exists for.
//
// # Containers
//
// A team that runs its databases in containers blank-imports the
// mysqlcontainer module in its tests:
//
//	import _ "github.com/rocketkit/rocketkit/outbox/outboxtest/mysqlcontainer"
//
// Its init installs a provider (SetServer) that starts one MySQL container
// per test binary through testcontainers-go's mysql module the first time a
// test opens a database, unless MYSQL_DSN is set. The image is
// ROCKETKIT_MYSQL_IMAGE, default mysql:8.4; ROCKETKIT_MYSQL_NETWORK=host
// runs it on the host's network (for a Docker without a bridge) on a free
// port of 127.0.0.1. If no container can be started the test fails saying
// why and how else to get a server. It is a Go module of its own, so a
// service that imports the kit but not mysqlcontainer has no testcontainers
// in its build list. `go tool -modfile=tools/go.mod task test-containers`
// runs the outbox and txcheck suites on a container this way (README,
// "Testing with containers").
//
// The package does not import a driver: tests import
// github.com/go-sql-driver/mysql for its side effect (driver name "mysql").
package outboxtest
