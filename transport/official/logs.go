package official

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// The official client logs through one process-global logger that it reads
// without synchronisation, so it is replaced once, by a logger whose
// handler forwards to a target that can be switched atomically while
// clients run.
var (
	clientLogOnce   sync.Once
	clientLogTarget atomic.Pointer[slog.Logger]
)

// routeClientLog sends the official client's records to l (nil discards
// them) from now on.
func routeClientLog(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	clientLogTarget.Store(l)
	clientLogOnce.Do(func() { clientlog.Route(slog.New(forwardHandler{})) })
}

// forwardHandler forwards to the current clientLogTarget, replaying the
// WithAttrs and WithGroup calls made on it in order.
type forwardHandler struct {
	with []func(slog.Handler) slog.Handler
}

var _ slog.Handler = forwardHandler{}

func (f forwardHandler) target() slog.Handler {
	l := clientLogTarget.Load()
	if l == nil {
		return slog.DiscardHandler
	}
	h := l.Handler()
	for _, w := range f.with {
		h = w(h)
	}
	return h
}

func (f forwardHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return f.target().Enabled(ctx, l)
}

func (f forwardHandler) Handle(ctx context.Context, r slog.Record) error {
	return f.target().Handle(ctx, r)
}

func (f forwardHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return f.and(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
}

func (f forwardHandler) WithGroup(name string) slog.Handler {
	return f.and(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}

func (f forwardHandler) and(w func(slog.Handler) slog.Handler) forwardHandler {
	return forwardHandler{with: append(append([]func(slog.Handler) slog.Handler(nil), f.with...), w)}
}
