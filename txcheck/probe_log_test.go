package txcheck_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
	"github.com/rocketkit/rocketkit/txcheck"
)

// errorLog records the messages logged at ERROR or above.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

var _ slog.Handler = (*errorLog)(nil)

func (e *errorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (e *errorLog) Handle(_ context.Context, r slog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgs = append(e.msgs, r.Message)
	return nil
}

func (e *errorLog) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *errorLog) WithGroup(string) slog.Handler      { return e }

func (e *errorLog) snapshot() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.msgs...)
}

// A healthy start with a probe topic logs nothing at ERROR: not the
// producer, not the client underneath (the official client calls every
// local transaction that does not commit "unexpected", the probe's
// rollback included), not the broker.
func TestProbeStartLogsNoError(t *testing.T) {
	for _, name := range []string{transport.NativeName, official.Name} {
		t.Run(name, func(t *testing.T) {
			errs := &errorLog{}
			l := slog.New(errs)
			b := brokertest.Start(t, brokertest.WithLogger(l))
			cfg := client.Config{NameServers: []string{b.Addr()}, InstanceName: uniqueName(name)}
			var (
				be  transport.Backend
				err error
			)
			if name == official.Name {
				be, err = official.New(cfg, official.WithLogger(l), official.WithQuietWait(b.WaitQuiet))
			} else {
				be, err = transport.Native(cfg, client.WithLogger(l))
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = be.Close() })
			pc := testConfig(uniqueName("pg"))
			pc.ProbeTopic = uniqueName("probe")
			startProducer(t, be, pc, outboxtest.Open(t), txcheck.WithLogger(l))
			if msgs := errs.snapshot(); len(msgs) != 0 {
				t.Errorf("a healthy start logged at ERROR: %q", msgs)
			}
		})
	}
}
