package starter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// ErrUnhealthy wraps every error Health.Check returns.
var ErrUnhealthy = errors.New("starter: unhealthy")

// healthTimeout bounds one Check when its context has no earlier deadline.
const healthTimeout = 3 * time.Second

// Health tells whether the application's RocketMQ side can do its work:
// the module has started and is not stopping, a name server answers and
// knows at least one broker, the template's producer runs, and every
// listener's consumer runs. The module provides it; serve it as a
// readiness probe (it is an http.Handler) or call Check.
//
//	fx.Invoke(func(mux *http.ServeMux, h *starter.Health) { mux.Handle("/health/rocketmq", h) })
//
// A listener is reported not running from the moment the application
// starts stopping, so a load balancer stops routing to a replica that is
// draining its handlers.
type Health struct {
	ep  *Endpoint
	tpl *Template

	mu        sync.Mutex
	listeners *listenerSet // nil without Listener registrations
}

func newHealth(ep *Endpoint, tpl *Template) *Health { return &Health{ep: ep, tpl: tpl} }

// watch makes Check report on ls's listeners.
func (h *Health) watch(ls *listenerSet) {
	h.mu.Lock()
	h.listeners = ls
	h.mu.Unlock()
}

// Check returns nil when healthy, otherwise an error wrapping ErrUnhealthy
// that says what is wrong. It asks the name servers for the cluster, so it
// costs one round trip; it gives up after 3 seconds unless ctx ends
// earlier.
func (h *Health) Check(ctx context.Context) error {
	servers := h.ep.NameServers()
	if len(servers) == 0 {
		return fmt.Errorf("%w: not started", ErrUnhealthy)
	}
	if _, err := h.tpl.producer(); err != nil {
		return fmt.Errorf("%w: the template's producer is not running", ErrUnhealthy)
	}
	h.mu.Lock()
	ls := h.listeners
	h.mu.Unlock()
	if ls != nil {
		if stopped := ls.notRunning(); len(stopped) > 0 {
			return fmt.Errorf("%w: listeners not running: %v", ErrUnhealthy, stopped)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	adm, err := h.ep.Admin()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnhealthy, err)
	}
	info, err := adm.Cluster(ctx)
	if err != nil {
		return fmt.Errorf("%w: no name server of %v answers: %w", ErrUnhealthy, servers, err)
	}
	if len(info.Brokers) == 0 {
		return fmt.Errorf("%w: the name servers %v know no broker", ErrUnhealthy, servers)
	}
	return nil
}

// ServeHTTP answers 200 "ok" when Check returns nil and 503 with Check's
// error otherwise.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.Check(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, "ok")
}
