// Package mysqlcontainer runs the kit's MySQL tests on a container:
// testcontainers-go's mysql module starts one MySQL (or MariaDB) server per
// test binary, and the tests that open databases through outboxtest use it
// when MYSQL_DSN is not set.
//
//	import _ "github.com/rocketkit/rocketkit/outbox/outboxtest/mysqlcontainer"
//
// The blank import is all a test needs: the package's init installs Server
// as outboxtest's provider (outboxtest.SetServer). The order is MYSQL_DSN
// when set, else the container, else a test failure saying why no
// container started (Docker unreachable, image missing) and how else to get
// a server.
//
// # Environment
//
//   - ROCKETKIT_MYSQL_IMAGE: the image, default mysql:8.4. Any image that
//     takes the official image's environment (MYSQL_ROOT_PASSWORD,
//     MYSQL_DATABASE) and passes arguments starting with "-" to the server
//     will do: official mysql and mariadb images, or the one
//     scripts/containers/build-mariadb-image.sh builds offline.
//   - ROCKETKIT_MYSQL_NETWORK=host: the container runs on the host's network
//     (for a Docker daemon without a bridge: `dockerd --bridge=none`), the
//     server on a free port of 127.0.0.1. Otherwise Docker maps the port.
//   - TESTCONTAINERS_RYUK_DISABLED=true: testcontainers starts no reaper;
//     the container is then removed by Main (a test binary's TestMain) or
//     Container.Terminate, and outlives a test binary that has neither.
//
// # Dependencies
//
// This is a Go module of its own (it requires the kit's module, not the
// other way round), so testcontainers-go and the Docker client reach only
// the services whose tests import this package; the kit's module and its
// other importers do not list them.
//
// cmd/withmysql starts a container and runs a command with MYSQL_DSN set to
// it: `go tool -modfile=tools/go.mod task test-containers` runs the outbox
// and txcheck suites that way.
package mysqlcontainer
