package starter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// Start-up errors come back from fx wrapped in its internals; Cause gives
// the kit's own error: the key, the value and what is allowed.
func TestCauseStripsFxInternals(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"invalid value (provide)", map[string]any{"rocketmq.producer.send-message-timeout": "abc"},
			`rocketmq.producer.send-message-timeout: "abc" is not a duration`},
		{"dead name server (start hook)", map[string]any{"rocketmq.name-server": "127.0.0.1:1"},
			"starter: no name server reachable: rocketmq.name-server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startertest.Start(t, startertest.Config(tt.cfg))
			if err == nil {
				t.Fatal("started")
			}
			cause := starter.Cause(err)
			if !strings.HasPrefix(cause.Error(), tt.want) {
				t.Fatalf("Cause = %q\nwant it to start with %q\n(fx's error: %v)", cause, tt.want, err)
			}
			for _, noise := range []string{"could not build", "failed to build", "received non-nil error", "OnStart hook"} {
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
