package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// Topics and groups of the run.
const (
	topicOrderly    = "fr_orderly"
	topicConcurrent = "fr_concurrent"
	topicOutbox     = "fr_outbox"
	outboxTable     = "fr_outbox_rows"
)

// Environment of a relay process.
const (
	envRelay   = "FAULTRUN_RELAY" // the relay's name; set: this process is a relay
	envDSN     = "FAULTRUN_RELAY_DSN"
	envNamesrv = "FAULTRUN_RELAY_NAMESRV"
)

// outboxConfig is the outbox of the producer service and of the relays:
// a short lease, so that the rows of a killed relay come back within
// seconds, and short timeouts and backoffs, so that the relay follows the
// broker's and MariaDB's restarts closely.
func outboxConfig() outbox.Config {
	return outbox.Config{
		Table: outboxTable,
		Relay: outbox.RelayConfig{
			BatchSize:        200,
			MaxBatchMessages: 32,
			PollInterval:     50 * time.Millisecond,
			Lease:            4 * time.Second,
			SendTimeout:      time.Second,
			RetryBackoff:     100 * time.Millisecond,
			MaxRetryBackoff:  time.Second,
			SkipMigrations:   true, // the run migrates once, before any relay starts
		},
	}
}

// relayProc is a relay process: this program run as a relay.
type relayProc struct {
	name string
	proc *child
}

// startRelay starts a relay process named name and waits until its app
// started (it retries while the broker or MariaDB is down).
func startRelay(name, work, dsn, namesrv string) (*relayProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p, err := startChild(name, filepath.Join(work, name+".log"),
		[]string{envRelay + "=" + name, envDSN + "=" + dsn, envNamesrv + "=" + namesrv}, exe)
	if err != nil {
		return nil, err
	}
	if _, err := p.waitLine("READY", 90*time.Second); err != nil {
		_ = p.kill()
		return nil, err
	}
	return &relayProc{name: name, proc: p}, nil
}

// runRelay is the relay process: an fx app with starter.Module and
// starter.Outbox against the run's broker and MariaDB. It prints READY once
// started and runs until killed, or until its parent's end closes stdin.
func runRelay(name string) int {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3) // the parent is gone
	}()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := sql.Open("mysql", os.Getenv(envDSN))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for attempt := 1; ; attempt++ {
		app := fx.New(
			fx.NopLogger,
			starter.Module,
			starter.ConfigValues(map[string]any{
				"rocketmq.name-server":      os.Getenv(envNamesrv),
				"rocketmq.service-name":     "faultrun-relay",
				"rocketmq.instance-name":    fmt.Sprintf("%s-%d", name, attempt),
				"rocketmq.shutdown-timeout": "2s",
			}),
			starter.Outbox(outboxConfig()),
			fx.Supply(db, log),
		)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := app.Start(ctx)
		cancel()
		if err == nil {
			break
		}
		log.Warn("relay app did not start; retrying", "attempt", attempt, "err", starter.Cause(err))
		time.Sleep(200 * time.Millisecond) // retry pace while the broker or MariaDB is down
	}
	fmt.Println("READY")
	select {} // until SIGKILL
}
