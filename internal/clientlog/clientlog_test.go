package clientlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

func TestRouteSendsClientRecordsToSlog(t *testing.T) {
	var buf bytes.Buffer
	Route(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { Route(nil) })

	rlog.Info("chatty offset commit", map[string]any{"queueId": 3})
	rlog.Warning("broker unreachable", map[string]any{"broker": "broker-a"})
	rlog.Fatal("would have exited", nil)

	out := buf.String()
	if strings.Contains(out, "chatty") {
		t.Errorf("info record passed a warn-level handler:\n%s", out)
	}
	for _, want := range []string{"broker unreachable", "broker=broker-a", "component=rocketmq-client", "would have exited", "fatal=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
