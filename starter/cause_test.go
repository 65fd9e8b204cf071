package starter_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.uber.org/fx"
)

type GroupOrders struct {
	listener.Concurrent `topic:"orders" group:"shared"`
}

func (*GroupOrders) Handle(context.Context, *listener.Message) error { return nil }

type GroupRefunds struct {
	listener.Concurrent `topic:"refunds" group:"shared"`
}

func (*GroupRefunds) Handle(context.Context, *listener.Message) error { return nil }

// fxNoise is what fx and dig wrap around an error; none of it may reach
// the user through Cause.
var fxNoise = []string{"could not build", "failed to build", "received non-nil error", "OnStart hook", "OnStop hook",
	"missing type", "missing dependencies", "fx.", "dig", "reflect", ".func", "starter_test."}

// Every start-up error the configuration or the listeners can cause comes
// back from fx wrapped in its internals, through fx.New(...).Err() or
// app.Start; Cause gives the kit's own error: one prefix, the key, the
// value and what is allowed.
func TestCauseStripsFxInternals(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := func(kv ...any) startertest.Option {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return startertest.Config(m)
	}
	billing := startertest.Fx(starter.AppConfig("billing", BillingConfig{Workers: 1}), fx.Invoke(func(BillingConfig) {}))
	tests := []struct {
		name string
		opts []startertest.Option
		is   error
		want string // the start of Cause's message
	}{
		// Built in fx.New: the configuration and the listeners.
		{"invalid value", []startertest.Option{cfg("rocketmq.producer.send-message-timeout", "abc")},
			starter.ErrInvalidConfig, `rocketmq.producer.send-message-timeout: "abc" is not a duration`},
		{"unknown key", []startertest.Option{cfg("rocketmq.producer.grup", "x")},
			starter.ErrInvalidConfig, "rocketmq.producer.grup: unknown key (did you mean rocketmq.producer.group?)"},
		{"out of range", []startertest.Option{cfg("rocketmq.consumer.pull-batch-size", 5000)},
			starter.ErrInvalidConfig, "rocketmq.consumer.pull-batch-size: 5000 is outside 1..1024"},
		{"embedded broker key", []startertest.Option{cfg("rocketmq.embedded.message-delay-level", "1s 2parsecs")},
			starter.ErrInvalidConfig, "rocketmq.embedded.message-delay-level: "},
		{"missing file", []startertest.Option{startertest.Fx(starter.ConfigFile(filepath.Join(t.TempDir(), "nope.yaml")))},
			nil, "starter: load config file "},
		{"bad tag", []startertest.Option{startertest.Listener(func() *BadConsumers { return &BadConsumers{} })},
			listener.ErrInvalidTag, `listener BadConsumers, field Concurrent: tag consumers: "many" is not a number`},
		{"unset placeholder", []startertest.Option{startertest.Listener(func() *ConfiguredListener { return &ConfiguredListener{} })},
			listener.ErrInvalidTag, "listener ConfiguredListener, field Concurrent: tag topic: placeholder ${billing.topic}: billing.topic is not set"},
		{"bad sql", []startertest.Option{startertest.Listener(func() *BadSQLListener { return &BadSQLListener{} })},
			listener.ErrInvalidTag, `listener BadSQLListener, field Concurrent: tag sql: "amount >": sqlfilter: invalid selector at line 1, column 9: unexpected end of expression`},
		{"shared group", []startertest.Option{
			startertest.Listener(func() *GroupOrders { return &GroupOrders{} }),
			startertest.Listener(func() *GroupRefunds { return &GroupRefunds{} }),
		}, starter.ErrSubscriptionConflict, "starter: consumer group subscription conflict: listeners "},
		{"app config value", []startertest.Option{cfg("billing.timeout", "abc"), billing},
			starter.ErrInvalidConfig, `billing.timeout: "abc" is not a duration`},
		{"app config unknown key", []startertest.Option{cfg("billing.db-dns", "x"), billing},
			starter.ErrInvalidConfig, "billing.db-dns: unknown key (did you mean billing.db-dsn?)"},
		{"app config environment", []startertest.Option{billing},
			starter.ErrInvalidConfig, `billing.workers: "many" is not a number`},
		{"app config Validate", []startertest.Option{cfg("billing.workers", -2), billing},
			starter.ErrInvalidConfig, "billing.workers: -2 is below 1"},
		{"app config prefix", []startertest.Option{startertest.Fx(starter.AppConfig("rocketmq", BillingConfig{}))},
			nil, `starter: AppConfig[starter_test.BillingConfig]("rocketmq"): rocketmq.* is the module's own configuration`},
		// Failed in app.Start: the start hooks.
		{"dead name server", []startertest.Option{cfg("rocketmq.name-server", "127.0.0.1:1")},
			starter.ErrNameServerUnreachable, "starter: no name server reachable: rocketmq.name-server"},
		{"embedded listen address taken", []startertest.Option{cfg("rocketmq.embedded.listen", busy.Addr().String())},
			nil, "starter: start embedded broker: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "app config environment" {
				t.Setenv("BILLING_WORKERS", "many")
			}
			_, err := startertest.Start(t, tt.opts...)
			if err == nil {
				t.Fatal("started")
			}
			cause := starter.Cause(err)
			if !strings.HasPrefix(cause.Error(), tt.want) {
				t.Fatalf("Cause = %q\nwant it to start with %q\n(fx's error: %v)", cause, tt.want, err)
			}
			if tt.is != nil && !errors.Is(cause, tt.is) {
				t.Errorf("Cause = %v, not %v", cause, tt.is)
			}
			for _, noise := range fxNoise {
				if noise == "starter_test." && strings.HasPrefix(tt.want, "starter: AppConfig[starter_test.") {
					continue
				}
				if strings.Contains(cause.Error(), noise) {
					t.Fatalf("Cause still says %q: %v", noise, cause)
				}
			}
		})
	}
	plain := errors.New("plain")
	if starter.Cause(plain) != plain || starter.Cause(nil) != nil {
		t.Fatal("Cause changed an error that is not fx's")
	}
}

// AppConfig without Module says so, rather than fx's missing type.
func TestAppConfigNeedsModule(t *testing.T) {
	app := fx.New(fx.NopLogger, starter.AppConfig("billing", BillingConfig{}), fx.Invoke(func(BillingConfig) {}))
	want := `starter: AppConfig("billing") needs starter.Module in the application`
	if err := starter.Cause(app.Err()); err == nil || err.Error() != want {
		t.Fatalf("Cause = %v, want %s", err, want)
	}
}

// The application's keys come from the module's sources: code, the YAML
// file (ROCKETKIT_CONFIG here) and the environment, in that order.
func TestAppConfigInApp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte("billing:\n  db-dsn: from-file\n  timeout: 2s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(starter.ConfigEnv, path)
	t.Setenv("BILLING_WORKERS", "9")
	var got BillingConfig
	startertest.New(t,
		startertest.Config(map[string]any{"billing.db-dsn": "from-code", "billing.timeout": "1s"}),
		startertest.Fx(starter.AppConfig("billing", BillingConfig{Workers: 1, Timeout: time.Minute}), fx.Populate(&got)),
	)
	if want := (BillingConfig{DBDSN: "from-file", Timeout: 2 * time.Second, Workers: 9}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
