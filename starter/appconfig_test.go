package starter

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type retryConfig struct {
	Attempts int           `koanf:"attempts"`
	Backoff  time.Duration `koanf:"backoff"`
}

type billingConfig struct {
	DBDSN    string        `koanf:"db-dsn"`
	Timeout  time.Duration `koanf:"timeout"`
	Workers  int           `koanf:"workers"`
	Ratio    float64       `koanf:"ratio"`
	MaxBytes uint32        `koanf:"max-bytes"`
	Verbose  bool          `koanf:"verbose"`
	Brokers  []string      `koanf:"brokers"`
	Level    slog.Level    `koanf:"level"`
	Retry    retryConfig   `koanf:"retry"`
	Skipped  string        `koanf:"-"`
	internal int
}

// validated has a Validate hook; its error is what the test puts in it.
type validated struct {
	Name string `koanf:"name"`
	err  error
}

func (v *validated) Validate() error { return v.err }

func writeYAML(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Defaults < ConfigValues < the YAML file < the environment, key by key.
func TestAppConfigPrecedence(t *testing.T) {
	path := writeYAML(t, `
billing:
  db-dsn: from-file
  timeout: 3000          # whole milliseconds, as rocketmq.* durations
  ratio: 0.5
  brokers: [a, b]
  level: debug
  retry:
    backoff: 250ms
rocketmq:
  service-name: ignored-here
`)
	defaults := billingConfig{DBDSN: "default", Timeout: 5 * time.Second, Workers: 2, MaxBytes: 1024,
		Brokers: []string{"default"}, Retry: retryConfig{Attempts: 3, Backoff: time.Second}, Skipped: "kept", internal: 9}
	sources := []configSource{
		{seq: 1, values: map[string]any{"billing.db-dsn": "from-code", "billing.workers": 4, "billing.verbose": true}},
		{seq: 2, file: path},
	}
	got, err := loadApp("billing", defaults, sources, environ(
		"BILLING_DB_DSN=from-env",
		"BILLING_RETRY_ATTEMPTS=7",
		"BILLING_MAX_BYTES=2048",
		"BILLING_UNRELATED=x", // not a key of billingConfig: ignored
	))
	if err != nil {
		t.Fatal(err)
	}
	want := billingConfig{
		DBDSN:    "from-env", // env over file over code over default
		Timeout:  3 * time.Second,
		Workers:  4,    // code over default
		Ratio:    0.5,  // file
		MaxBytes: 2048, // env over default
		Verbose:  true, // code
		Brokers:  []string{"a", "b"},
		Level:    slog.LevelDebug,
		Retry:    retryConfig{Attempts: 7, Backoff: 250 * time.Millisecond},
		Skipped:  "kept",
		internal: 9, // unexported: not a key
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if defaults.DBDSN != "default" || defaults.Brokers[0] != "default" {
		t.Errorf("defaults changed: %+v", defaults)
	}

	// A list from the environment is comma-separated; ROCKETKIT_CONFIG
	// replaces the files, as for rocketmq.*.
	other := writeYAML(t, "billing:\n  workers: 11\n")
	got, err = loadApp("billing", defaults, sources, environ("BILLING_BROKERS= x, y ,", ConfigEnv+"="+other))
	if err != nil {
		t.Fatal(err)
	}
	if got.Workers != 11 || got.DBDSN != "from-code" || strings.Join(got.Brokers, "|") != "x|y" {
		t.Errorf("ROCKETKIT_CONFIG and list from env: %+v", got)
	}
}

func TestAppConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		env    []string
		want   []string
	}{
		{"duration", map[string]any{"billing.timeout": "abc"}, nil,
			[]string{`billing.timeout: "abc" is not a duration`}},
		{"fractional milliseconds", map[string]any{"billing.timeout": 1.5}, nil,
			[]string{`billing.timeout: 1.5 is not a duration`}},
		{"env number", nil, []string{"BILLING_WORKERS=many"},
			[]string{`billing.workers: "many" is not a number`}},
		{"nested env duration", nil, []string{"BILLING_RETRY_BACKOFF=later"},
			[]string{`billing.retry.backoff: "later" is not a duration`}},
		{"boolean", map[string]any{"billing.verbose": "maybe"}, nil,
			[]string{`billing.verbose: "maybe" is not a boolean (true or false)`}},
		{"unsigned", map[string]any{"billing.max-bytes": -1}, nil,
			[]string{`billing.max-bytes: "-1" is not a number from 0 to 4294967295`}},
		{"float", map[string]any{"billing.ratio": "half"}, nil,
			[]string{`billing.ratio: "half" is not a number`}},
		{"text unmarshaler", map[string]any{"billing.level": "loud"}, nil,
			[]string{`billing.level: "loud" is not a slog.Level`}},
		{"unknown key", map[string]any{"billing.db-dns": "x"}, nil,
			[]string{"billing.db-dns: unknown key (did you mean billing.db-dsn?)"}},
		{"unknown nested key", map[string]any{"billing": map[string]any{"retry": map[string]any{"atempts": 1}}}, nil,
			[]string{"billing.retry.atempts: unknown key (did you mean billing.retry.attempts?)"}},
		{"unknown key far from all", map[string]any{"billing.zzzzzzzz": 1}, nil,
			[]string{"billing.zzzzzzzz: unknown key"}},
		{"value for a struct", map[string]any{"billing.retry": 5}, nil,
			[]string{`billing.retry: "5" is a single value, want keys below it`}},
		{"value for the prefix", map[string]any{"billing": "on"}, nil,
			[]string{`billing: "on" is a single value, want keys below it`}},
		{"map for a value", map[string]any{"billing.workers": map[string]any{"a": 1}}, nil,
			[]string{"billing.workers: is a map, want a single value"}},
		{"list for a value", map[string]any{"billing.db-dsn": []any{"a"}}, nil,
			[]string{"billing.db-dsn: is a list, want a single value"}},
		{"map for a list", map[string]any{"billing.brokers": map[string]any{"a": 1}}, nil,
			[]string{"billing.brokers: is a map, want a list of strings"}},
		{"two errors", map[string]any{"billing.timeout": "abc", "billing.workers": "x"}, nil,
			[]string{"billing.timeout:", "billing.workers:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src []configSource
			if tt.values != nil {
				src = append(src, configSource{values: tt.values})
			}
			_, err := loadApp("billing", billingConfig{}, src, environ(tt.env...))
			if err == nil || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want an invalid configuration", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// T's Validate runs after decoding; its errors name their key.
func TestAppConfigValidate(t *testing.T) {
	plain := errors.New("name is required")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain error: the prefix is the key", plain, "shop: name is required"},
		{"ConfigError: as it is", &ConfigError{Key: "shop.name", Msg: `"x" is too short`}, `shop.name: "x" is too short`},
		{"joined: each gets its key", errors.Join(plain, errors.New("b")), "shop: name is required\nshop: b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadApp("shop", validated{err: tt.err}, nil, environ())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %q, want %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err = %v: not an invalid configuration", err)
			}
			if errors.Is(tt.err, plain) && !errors.Is(err, plain) {
				t.Errorf("the hook's error is not wrapped")
			}
		})
	}
	// Validate sees the decoded value and does not run when decoding failed.
	v := validated{err: plain}
	if _, err := loadApp("shop", v, []configSource{{values: map[string]any{"shop.nme": "x"}}}, environ()); err == nil ||
		strings.Contains(err.Error(), "required") {
		t.Errorf("err = %v, want only the unknown key", err)
	}
	if got, err := loadApp("shop", validated{}, nil, environ("SHOP_NAME=corner")); err != nil || got.Name != "corner" {
		t.Errorf("= %+v, %v", got, err)
	}
}

// Mistakes in the program, not the configuration, are reported before any
// key is read, naming the type and the field.
func TestAppConfigTypeErrors(t *testing.T) {
	type untagged struct {
		DSN string
	}
	type unsupported struct {
		Pools map[string]int `koanf:"pools"`
	}
	type sameEnv struct {
		A string `koanf:"db-dsn"`
		B struct {
			DSN string `koanf:"dsn"`
		} `koanf:"db"`
	}
	type Embedded struct {
		Region string `koanf:"region"`
	}
	type withEmbedded struct {
		Embedded
		Zone string `koanf:"zone"`
	}
	tests := []struct {
		name string
		load func() error
		want string
	}{
		{"empty prefix", func() error { _, err := loadApp("", billingConfig{}, nil, environ()); return err },
			"the prefix must be a key"},
		{"double dot", func() error { _, err := loadApp("a..b", billingConfig{}, nil, environ()); return err },
			"the prefix must be a key"},
		{"rocketmq", func() error { _, err := loadApp("rocketmq", billingConfig{}, nil, environ()); return err },
			"rocketmq.* is the module's own configuration"},
		{"below rocketmq", func() error { _, err := loadApp("rocketmq.app", billingConfig{}, nil, environ()); return err },
			"rocketmq.* is the module's own configuration"},
		{"not a struct", func() error { _, err := loadApp("billing", "", nil, environ()); return err },
			"T must be a struct"},
		{"untagged", func() error { _, err := loadApp("billing", untagged{}, nil, environ()); return err },
			"field DSN has no koanf tag"},
		{"unsupported", func() error { _, err := loadApp("billing", unsupported{}, nil, environ()); return err },
			"field Pools (billing.pools): unsupported type map[string]int"},
		{"same variable", func() error { _, err := loadApp("billing", sameEnv{}, nil, environ()); return err },
			"billing.db-dsn and billing.db.dsn share the environment variable BILLING_DB_DSN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load()
			if err == nil || !strings.HasPrefix(err.Error(), "starter: AppConfig[") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want starter: AppConfig[...] ... %s", err, tt.want)
			}
		})
	}
	// An embedded struct without a tag lends its keys to the parent.
	got, err := loadApp("geo", withEmbedded{}, []configSource{{values: map[string]any{"geo.region": "eu", "geo.zone": "a"}}}, environ())
	if err != nil || got.Region != "eu" || got.Zone != "a" {
		t.Errorf("embedded: %+v, %v", got, err)
	}
}
