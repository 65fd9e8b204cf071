package starter

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// The official client logs through one process-global logger that it
// reads without synchronisation, so it is replaced exactly once, by a
// logger whose handler can be switched atomically. Each app start points
// it at that app's logger; with several apps in one process the last one
// started wins.
var (
	clientLogOnce   sync.Once
	clientLogTarget atomic.Pointer[levelHandler]
)

// routeClientLog sends the client's records at level and above to l (nil
// or level "off": discarded). The returned function undoes it unless
// another app routed the records since; apps call it on stop, so that
// lingering client goroutines do not log into a finished test's logger.
func routeClientLog(l *slog.Logger, level string) (unroute func()) {
	clientLogOnce.Do(func() { clientlog.Route(slog.New(switchHandler{})) })
	h := &levelHandler{min: parseLevel(level)}
	if l != nil && level != "off" {
		h.next = l.Handler()
	}
	clientLogTarget.Store(h)
	return func() { clientLogTarget.CompareAndSwap(h, nil) }
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelWarn
	}
	return l
}

// levelHandler forwards records at min and above to next (nil: none).
type levelHandler struct {
	min  slog.Level
	next slog.Handler
}

// switchHandler forwards to the current clientLogTarget.
type switchHandler struct {
	attrs []slog.Attr
	group string
}

var _ slog.Handler = switchHandler{}

func (s switchHandler) target() (slog.Handler, slog.Level) {
	t := clientLogTarget.Load()
	if t == nil || t.next == nil { // nil: no app running
		return nil, 0
	}
	h := t.next
	if s.group != "" {
		h = h.WithGroup(s.group)
	}
	if len(s.attrs) > 0 {
		h = h.WithAttrs(s.attrs)
	}
	return h, t.min
}

func (s switchHandler) Enabled(ctx context.Context, l slog.Level) bool {
	h, min := s.target()
	return h != nil && l >= min && h.Enabled(ctx, l)
}

func (s switchHandler) Handle(ctx context.Context, r slog.Record) error {
	h, min := s.target()
	if h == nil || r.Level < min {
		return nil
	}
	return h.Handle(ctx, r)
}

func (s switchHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	s.attrs = append(append([]slog.Attr(nil), s.attrs...), attrs...)
	return s
}

func (s switchHandler) WithGroup(name string) slog.Handler {
	if s.group != "" {
		name = s.group + "." + name
	}
	s.group = name
	return s
}

// minLevel is a handler that drops records below min: the kit's own
// client logs through it, at rocketmq.client-log-level.
type minLevel struct {
	min  slog.Level
	next slog.Handler
}

var _ slog.Handler = minLevel{}

// clientLogger returns the logger the kit's client logs to: l's, from
// level up, as component rocketmq-client; "off" discards.
func clientLogger(l *slog.Logger, level string) *slog.Logger {
	if l == nil || level == "off" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(minLevel{min: parseLevel(level), next: l.Handler()}).With("component", "rocketmq-client")
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.next.Enabled(ctx, l)
}

func (m minLevel) Handle(ctx context.Context, r slog.Record) error { return m.next.Handle(ctx, r) }

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{min: m.min, next: m.next.WithAttrs(attrs)}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{min: m.min, next: m.next.WithGroup(name)}
}
