package mysqlcontainer

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

func init() { outboxtest.SetServer(Server) }

var (
	mu       sync.Mutex
	started  *Container
	startErr error
	inMain   bool
	warned   bool
)

// Server returns the DSN of this process's container, starting it the
// first time (ConfigFromEnv); outboxtest calls it for the tests that have
// no MYSQL_DSN. It fails tb if the container cannot start, and every later
// caller with the same error, without trying again. Safe for concurrent
// use: parallel tests share the one container.
func Server(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if started == nil && startErr == nil {
		cfg := ConfigFromEnv()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		started, startErr = Start(ctx, cfg)
		cancel()
		if startErr == nil {
			tb.Logf("mysqlcontainer: %s", started)
		}
	}
	if startErr != nil {
		tb.Fatalf("%v", startErr)
	}
	if !inMain && !warned && ryukDisabled() {
		warned = true
		tb.Logf("mysqlcontainer: TESTCONTAINERS_RYUK_DISABLED is set and TestMain does not call mysqlcontainer.Main: "+
			"container %.12s outlives this test binary (docker rm -f it)", started.ID)
	}
	return started.DSN
}

// Main runs the tests and then terminates the container Server started, if
// any; it returns m.Run's code, or 1 if the container could not be
// removed. A test binary calls it from TestMain when testcontainers' reaper
// is off (TESTCONTAINERS_RYUK_DISABLED); with the reaper it only removes
// the container sooner.
//
//	func TestMain(m *testing.M) { os.Exit(mysqlcontainer.Main(m)) }
func Main(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	if err := Terminate(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "mysqlcontainer: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Terminate removes the container Server started, if any; a later Server
// call starts another.
func Terminate(ctx context.Context) error {
	mu.Lock()
	defer mu.Unlock()
	if started == nil {
		return nil
	}
	c := started
	started, startErr = nil, nil
	if err := c.Terminate(ctx); err != nil {
		return fmt.Errorf("terminate %s: %w", c, err)
	}
	return nil
}
