package starter

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// The client's records reach the app's logger at the configured level and
// above; without a logger, or with "off", they go nowhere.
func TestRouteClientLog(t *testing.T) {
	var buf clienttest.LockedBuffer
	app := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() { routeClientLog(nil, "warn") })

	routeClientLog(app, "warn")
	rlog.Info("chatty offset update", map[string]any{"queueId": 1})
	rlog.Warning("broker unreachable", map[string]any{"broker": "broker-a"})
	out := buf.String()
	if strings.Contains(out, "chatty") || !strings.Contains(out, "broker unreachable") || !strings.Contains(out, "component=rocketmq-client") {
		t.Errorf("warn level:\n%s", out)
	}

	routeClientLog(app, "debug")
	rlog.Debug("rebalance details", nil)
	if !strings.Contains(buf.String(), "rebalance details") {
		t.Errorf("debug level did not pass debug records:\n%s", buf.String())
	}

	before := buf.String()
	routeClientLog(app, "off")
	rlog.Error("silenced", nil)
	routeClientLog(nil, "debug")
	rlog.Error("no logger", nil)
	if buf.String() != before {
		t.Errorf("off / no logger still logged:\n%s", strings.TrimPrefix(buf.String(), before))
	}
}
