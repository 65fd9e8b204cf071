package mysqlcontainer_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/outbox/outboxtest/mysqlcontainer"
)

func TestMain(m *testing.M) {
	code := mysqlcontainer.Main(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Without MYSQL_DSN, outboxtest.Open makes the test's database on the
// container the blank import's provider starts.
func TestOpenRunsOnContainer(t *testing.T) {
	t.Setenv(outboxtest.DSNEnv, "")
	db := outboxtest.Open(t)
	server := mysqlcontainer.Server(t)
	want, err := outboxtest.WithDatabase(server, db.Name)
	if err != nil {
		t.Fatal(err)
	}
	if db.DSN != want {
		t.Fatalf("outboxtest.Open's DSN is not on the container: got %s, want %s", db.DSN, want)
	}
	var version, database string
	if err := db.QueryRow("SELECT VERSION(), DATABASE()").Scan(&version, &database); err != nil {
		t.Fatal(err)
	}
	if database != db.Name {
		t.Fatalf("connected to database %q, want %q", database, db.Name)
	}
	var port int
	if err := db.QueryRow("SELECT @@port").Scan(&port); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(server, fmt.Sprintf(":%d)", port)) && os.Getenv(mysqlcontainer.NetworkEnv) == "host" {
		t.Fatalf("server listens on port %d, the DSN says %s", port, server)
	}
	t.Logf("outboxtest.Open ran on the container: database %s, server version %s, port %d", db.Name, version, port)
}

// MYSQL_DSN, when set, wins over the container.
func TestDSNEnvWins(t *testing.T) {
	const dsn = "u:p@tcp(127.0.0.1:1)/x"
	t.Setenv(outboxtest.DSNEnv, dsn)
	if got := outboxtest.Server(t); got != dsn {
		t.Fatalf("outboxtest.Server = %q with %s set, want it", got, outboxtest.DSNEnv)
	}
}
