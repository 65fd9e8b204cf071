package starter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The rocketmq.txcheck.* keys are known keys like the module's own: read
// from code, files and the environment, each error naming its key.
func TestTxCheckKeys(t *testing.T) {
	s, err := loadSettings([]configSource{{values: map[string]any{
		"rocketmq.txcheck.group":        "billing-tx",
		"rocketmq.txcheck.grace-period": "2m",
		"rocketmq.txcheck.sweeper":      map[string]any{"after": 1800000}, // milliseconds
	}}}, environ("ROCKETMQ_TXCHECK_SWEEPER_BATCH_SIZE=7", "ROCKETMQ_TXCHECK_SKIP_MIGRATIONS=true"))
	if err != nil {
		t.Fatal(err)
	}
	tc := s.cfg.TxCheck
	if tc.Group != "billing-tx" || tc.GracePeriod != 2*time.Minute || tc.Sweeper.After != 30*time.Minute ||
		tc.Sweeper.BatchSize != 7 || !tc.SkipMigrations {
		t.Errorf("rocketmq.txcheck = %+v", tc)
	}

	for _, tt := range []struct {
		key  string
		v    any
		want string
	}{
		{"rocketmq.txcheck.sweeper.after", "abc", `rocketmq.txcheck.sweeper.after: "abc" is not a duration`},
		{"rocketmq.txcheck.grup", "x", "rocketmq.txcheck.grup: unknown key (did you mean rocketmq.txcheck.group?)"},
		{"rocketmq.txcheck.group", "a b", `rocketmq.txcheck.group: "a b" is not a valid group`},
		{"rocketmq.txcheck.table", "key-table", `rocketmq.txcheck.table: "key-table" is not a table name`},
		{"rocketmq.txcheck.schema-table", "a.b.c", `rocketmq.txcheck.schema-table: "a.b.c" is not a table name`},
		{"rocketmq.txcheck.grace-period", "-1s", "rocketmq.txcheck.grace-period: -1s must be positive"},
		{"rocketmq.txcheck.sweeper.batch-size", -3, "rocketmq.txcheck.sweeper.batch-size: -3 must be positive"},
		{"rocketmq.txcheck.max-payload-size", 32 << 20, "rocketmq.txcheck.max-payload-size: 33554432 is outside 1..16777216"},
	} {
		_, err := loadSettings([]configSource{{values: map[string]any{tt.key: tt.v}}}, environ())
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s = %v: err = %v, want %q", tt.key, tt.v, err, tt.want)
		}
	}
}
