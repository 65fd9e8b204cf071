package starter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.uber.org/fx"
)

// probe serves h once and returns the status code and body.
func probe(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health/rocketmq", nil))
	return rec.Code, rec.Body.String()
}

// A running app is healthy; while it stops (its listener draining a
// handler) it is not, naming the listener; once stopped it is not either.
func TestHealthFollowsTheLifecycle(t *testing.T) {
	slow := newSlowListener()
	var health *starter.Health
	app := startertest.New(t, startertest.Listener(func() *SlowListener { return slow }), startertest.Fx(fx.Populate(&health)))

	if err := health.Check(t.Context()); err != nil {
		t.Fatalf("Check on a running app: %v", err)
	}
	if code, body := probe(t, health); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("probe of a running app: %d %q, want 200 \"ok\\n\"", code, body)
	}

	if _, err := app.Template.Send(sendCtx(t), "shutdown", "m1"); err != nil {
		t.Fatal(err)
	}
	<-slow.entered // the handler now blocks until released: stop has to drain it
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		stopped <- app.Stop(ctx)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := health.Check(t.Context())
		if err != nil && strings.Contains(err.Error(), "listeners not running: [SlowListener]") {
			if !errors.Is(err, starter.ErrUnhealthy) {
				t.Errorf("Check error %v does not wrap ErrUnhealthy", err)
			}
			if code, body := probe(t, health); code != http.StatusServiceUnavailable || !strings.Contains(body, "SlowListener") {
				t.Errorf("probe while draining: %d %q, want 503 naming SlowListener", code, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Check while stopping: %v, want the draining listener reported", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(slow.release)
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := health.Check(t.Context()); !errors.Is(err, starter.ErrUnhealthy) {
		t.Fatalf("Check on a stopped app: %v, want ErrUnhealthy", err)
	}
}

// An app whose name server went away is unhealthy, and says so.
func TestHealthReportsUnreachableNameServer(t *testing.T) {
	b := brokertest.Start(t)
	var health *starter.Health
	startertest.New(t, startertest.Config(map[string]any{"rocketmq.name-server": b.Addr()}), startertest.Fx(fx.Populate(&health)))
	if err := health.Check(t.Context()); err != nil {
		t.Fatalf("Check with the broker up: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	err := health.Check(t.Context())
	if !errors.Is(err, starter.ErrUnhealthy) || !strings.Contains(err.Error(), "no name server of ["+b.Addr()+"] answers") {
		t.Fatalf("Check with the broker down: %v, want ErrUnhealthy naming %s", err, b.Addr())
	}
	if code, _ := probe(t, health); code != http.StatusServiceUnavailable {
		t.Fatalf("probe with the broker down: %d, want 503", code)
	}
}
