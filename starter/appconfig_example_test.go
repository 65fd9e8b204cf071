package starter_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// BillingConfig is an application's own configuration: the billing.*
// keys, one per koanf tag.
type BillingConfig struct {
	DBDSN   string        `koanf:"db-dsn"`
	Timeout time.Duration `koanf:"timeout"`
	Workers int           `koanf:"workers"`
}

// Validate runs after the keys are bound; a *starter.ConfigError names
// the key (any other error is reported under the prefix, "billing").
func (c *BillingConfig) Validate() error {
	if c.Workers < 1 {
		return &starter.ConfigError{Key: "billing.workers", Msg: fmt.Sprintf("%d is below 1", c.Workers)}
	}
	return nil
}

// AppConfig provides the application's configuration struct, read from
// the same sources as rocketmq.*: here ConfigValues, usually the YAML
// file and the environment (BILLING_DB_DSN overrides billing.db-dsn).
func ExampleAppConfig() {
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(map[string]any{
			"billing.db-dsn":  "mysql://db/billing",
			"billing.timeout": "2s",
		}),
		starter.AppConfig("billing", BillingConfig{Timeout: time.Second, Workers: 4}),
		fx.Invoke(func(cfg BillingConfig) { fmt.Println(cfg.DBDSN, cfg.Timeout, cfg.Workers) }),
	)
	if err := app.Err(); err != nil {
		log.Fatal(starter.Cause(err))
	}
	// Output: mysql://db/billing 2s 4
}

// A bad value fails start-up; starter.Cause gives the kit's error, with
// the key, the value and what is allowed.
func ExampleAppConfig_error() {
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(map[string]any{"billing.timeout": "abc", "billing.worker": 8}),
		starter.AppConfig("billing", BillingConfig{Workers: 4}),
		fx.Invoke(func(BillingConfig) {}),
	)
	fmt.Println(starter.Cause(app.Err()))
	// Output:
	// billing.worker: unknown key (did you mean billing.workers?)
	// billing.timeout: "abc" is not a duration
}

// LoadAppConfig reads the same configuration without fx.
func ExampleLoadAppConfig() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, []byte("billing:\n  timeout: 1500\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	cfg, err := starter.LoadAppConfig("billing", BillingConfig{DBDSN: "mysql://db/billing", Workers: 4}, path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.DBDSN, cfg.Timeout, cfg.Workers)
	// Output: mysql://db/billing 1.5s 4
}
