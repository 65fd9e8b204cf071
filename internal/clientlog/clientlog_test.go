package clientlog

import (
	"bytes"
	"io"
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

// Route may switch the target while clients log: under -race, a Route that
// set the client's global logger again would be reported here.
func TestRouteWhileClientsLog(t *testing.T) {
	t.Cleanup(func() { Route(nil) })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				rlog.Warning("pulling", nil)
			}
		}
	}()
	var last bytes.Buffer
	for i := range 100 {
		buf := &bytes.Buffer{}
		if i == 99 {
			buf = &last
		}
		undo := Route(slog.New(slog.NewTextHandler(io.Discard, nil)))
		undo()
		Route(slog.New(slog.NewTextHandler(buf, nil)))
	}
	close(stop)
	<-done
	rlog.Warning("after the switches", nil)
	if !strings.Contains(last.String(), "after the switches") {
		t.Errorf("the last Route's logger did not get the record: %q", last.String())
	}
}
