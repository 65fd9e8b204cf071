package starter_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.uber.org/fx"
)

type ConfiguredListener struct {
	listener.Concurrent `topic:"${billing.topic}" consumers:"${billing.consumers}"`
	in                  *inbox
}

func (l *ConfiguredListener) Handle(_ context.Context, m *listener.Message) error {
	l.in.add(m)
	return nil
}

// The YAML file names a dead name server; the environment overrides it
// with the real one (ROCKETMQ_NAME_SERVER -> rocketmq.name-server). The
// listener's tags come from the file.
func TestConfigFileWithEnvironmentOverride(t *testing.T) {
	b := brokertest.Start(t)
	path := filepath.Join(t.TempDir(), "app.yaml")
	yaml := "rocketmq:\n  name-server: 127.0.0.1:1\n  service-name: billing\nbilling:\n  topic: cfg-orders\n  consumers: 3\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROCKETMQ_NAME_SERVER", b.Addr())
	l := &ConfiguredListener{in: newInbox()}
	app := startertest.New(t, startertest.Fx(starter.ConfigFile(path)),
		startertest.Listener(func() *ConfiguredListener { return l }))
	if got := app.NameServer(); got != b.Addr() {
		t.Errorf("name server %s, want the environment's %s", got, b.Addr())
	}
	if _, err := app.Template.Send(sendCtx(t), "cfg-orders", "x"); err != nil {
		t.Fatal(err)
	}
	m := l.in.waitFor(t, 1, 10*time.Second)[0]
	if m.Topic != "cfg-orders" {
		t.Errorf("topic %s", m.Topic)
	}
}

// ROCKETKIT_CONFIG names the file when the code gives none.
func TestConfigFileFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte("billing:\n  topic: env-file-orders\n  consumers: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(starter.ConfigEnv, path)
	l := &ConfiguredListener{in: newInbox()}
	app := startertest.New(t, startertest.Listener(func() *ConfiguredListener { return l }))
	if _, err := app.Template.Send(sendCtx(t), "env-file-orders", "x"); err != nil {
		t.Fatal(err)
	}
	l.in.waitFor(t, 1, 10*time.Second)
}

type BadConsumers struct {
	listener.Concurrent `topic:"orders" consumers:"many"`
}

func (*BadConsumers) Handle(context.Context, *listener.Message) error { return nil }

// BadSQLListener's selector does not compile: the start-up names where.
type BadSQLListener struct {
	listener.Concurrent `topic:"orders" sql:"amount >"`
}

func (*BadSQLListener) Handle(context.Context, *listener.Message) error { return nil }

func TestStartupErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []startertest.Option
		is   error
		want string
	}{
		{"invalid duration", []startertest.Option{startertest.Config(map[string]any{"rocketmq.producer.send-message-timeout": "abc"})},
			starter.ErrInvalidConfig, `rocketmq.producer.send-message-timeout: "abc" is not a duration`},
		{"bad tag", []startertest.Option{startertest.Listener(func() *BadConsumers { return &BadConsumers{} })},
			listener.ErrInvalidTag, `listener BadConsumers, field Concurrent: tag consumers: "many" is not a number`},
		{"unset placeholder", []startertest.Option{startertest.Listener(func() *ConfiguredListener { return &ConfiguredListener{} })},
			listener.ErrInvalidTag, "billing.topic is not set"},
		{"bad sql", []startertest.Option{startertest.Listener(func() *BadSQLListener { return &BadSQLListener{} })},
			listener.ErrInvalidTag, `tag sql: "amount >": sqlfilter: invalid selector at line 1, column 9`},
		{"dead name server", []startertest.Option{startertest.Config(map[string]any{"rocketmq.name-server": "127.0.0.1:1"})},
			starter.ErrNameServerUnreachable, "rocketmq.name-server"},
		{"unknown client", []startertest.Option{startertest.Config(map[string]any{"rocketmq.client": "java"})},
			starter.ErrInvalidConfig, `rocketmq.client: "java" is not one of faulty-for-tests, official, rocketkit`}, // faulty-for-tests: listener_startup_test.go
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startertest.Start(t, tt.opts...)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %v containing %q", err, tt.is, tt.want)
			}
		})
	}
}

// The embedded broker's default data directory is temporary and removed
// on stop; a single external name server draws a warning (S15).
func TestEndpointLifecycle(t *testing.T) {
	var logs clienttest.LockedBuffer
	app := startertest.New(t, startertest.Logger(slog.New(slog.NewTextHandler(&logs, nil))),
		startertest.Config(map[string]any{"rocketmq.embedded.data-dir": ""}))
	m := regexp.MustCompile(`data_dir=(\S+)`).FindStringSubmatch(logs.String())
	if m == nil || !app.Endpoint.Embedded() {
		t.Fatalf("no embedded broker start logged:\n%s", logs.String())
	}
	if _, err := os.Stat(m[1]); err != nil {
		t.Fatalf("data dir: %v", err)
	}
	app.RequireStop()
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("data dir %s still there after stop: %v", m[1], err)
	}

	b := brokertest.Start(t)
	var logs2 clienttest.LockedBuffer
	startertest.New(t, startertest.Logger(slog.New(slog.NewTextHandler(&logs2, nil))),
		startertest.Config(map[string]any{"rocketmq.name-server": b.Addr()}))
	if !strings.Contains(logs2.String(), "single name server") || !strings.Contains(logs2.String(), "S15") {
		t.Errorf("no single-name-server warning:\n%s", logs2.String())
	}
}

// recordingMetrics implements starter.Metrics.
type recordingMetrics struct {
	mu      sync.Mutex
	sent    []starter.SendEvent
	handled []listener.Result
}

func (r *recordingMetrics) Sent(e starter.SendEvent) {
	r.mu.Lock()
	r.sent = append(r.sent, e)
	r.mu.Unlock()
}
func (r *recordingMetrics) Handled(x listener.Result) {
	r.mu.Lock()
	r.handled = append(r.handled, x)
	r.mu.Unlock()
}

type MetricsListener struct {
	listener.Concurrent `topic:"metrics"`
	a                   *attempts
}

func (l *MetricsListener) Handle(_ context.Context, m *listener.Message) error { return l.a.handle(m) }

func TestMetricsHooks(t *testing.T) {
	rec := &recordingMetrics{}
	a := newAttempts(func(_ *listener.Message, n int) error {
		if n == 1 {
			return errors.New("once")
		}
		return nil
	})
	app := startertest.New(t,
		startertest.Fx(fx.Provide(func() starter.Metrics { return rec })),
		startertest.Listener(func() *MetricsListener { return &MetricsListener{a: a} }))
	if _, err := app.Template.Send(sendCtx(t), "metrics:x", "m"); err != nil {
		t.Fatal(err)
	}
	if err := app.Template.SendOneway(sendCtx(t), "metrics:x", "n"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.handled) >= 4
	})
	quietWindow(100 * time.Millisecond) // extra observations would arrive now
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.sent) != 2 || rec.sent[0].Mode != starter.ModeSync || rec.sent[0].Status != starter.SendOK ||
		rec.sent[0].Topic != "metrics" || rec.sent[1].Mode != starter.ModeOneway {
		t.Errorf("sent events %+v", rec.sent)
	}
	outcomes := map[listener.Outcome]int{}
	for _, h := range rec.handled {
		outcomes[h.Outcome]++
		if h.Listener != "MetricsListener" || h.Topic != "metrics" || h.Latency <= 0 {
			t.Errorf("handled event %+v", h)
		}
	}
	// Both messages fail once, then succeed.
	if len(rec.handled) != 4 || outcomes[listener.OutcomeRetry] != 2 || outcomes[listener.OutcomeSuccess] != 2 {
		t.Errorf("outcomes %v", outcomes)
	}
}

// With rocketmq.client-log-level debug the client's own records reach the
// application's logger.
func TestClientLogReachesAppLogger(t *testing.T) {
	var logs clienttest.LockedBuffer
	l := &ConfiguredListener{in: newInbox()}
	app := startertest.New(t,
		startertest.Logger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		startertest.Config(map[string]any{"rocketmq.client-log-level": "debug", "billing.topic": "logs", "billing.consumers": 1}),
		startertest.Listener(func() *ConfiguredListener { return l }))
	if _, err := app.Template.Send(sendCtx(t), "logs", "x"); err != nil {
		t.Fatal(err)
	}
	l.in.waitFor(t, 1, 10*time.Second)
	if !strings.Contains(logs.String(), "component=rocketmq-client") {
		t.Errorf("no client records in the app's log:\n%.2000s", logs.String())
	}
}
