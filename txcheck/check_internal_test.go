package txcheck

import (
	"errors"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// The key table answers: present → commit; absent within the grace
// period → unknown; absent after it → rollback; no key → unknown.
func TestTableChecker(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	cfg := Config{}
	if err := Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO rocketkit_txcheck (msg_key, topic, payload) VALUES ('present', 'orders', '')"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := &tableChecker{db: db, query: "SELECT 1 FROM rocketkit_txcheck WHERE msg_key = ?", grace: time.Minute,
		now: func() time.Time { return now }}
	tests := []struct {
		name string
		key  string
		born time.Time
		want State
		err  bool
	}{
		{"committed", "present", now.Add(-time.Hour), Commit, false},
		{"young and absent", "absent", now.Add(-30 * time.Second), Unknown, false},
		{"old and absent", "absent", now.Add(-2 * time.Minute), Rollback, false},
		{"no key", "", now.Add(-2 * time.Minute), Unknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Check(ctx, CheckParams{Topic: "orders", Key: tt.key, Born: tt.born})
			if got != tt.want || (err != nil) != tt.err {
				t.Errorf("Check = %v, %v; want %v (error: %v)", got, err, tt.want, tt.err)
			}
		})
	}
	_ = db.Close()
	if got, err := c.Check(ctx, CheckParams{Key: "present", Born: now}); got != Unknown || err == nil {
		t.Errorf("Check on a closed database = %v, %v; want unknown and an error", got, err)
	}
}

func TestConfigValidate(t *testing.T) {
	var c Config
	c.setDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.validateProducer(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("producer without a group: %v", err)
	}
	c.Table = "x y"
	c.Sweeper.After = time.Second
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad table and sweeper.after: %v", err)
	}
}
