package starter

import (
	"context"
	"log/slog"

	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// routeClientLog sends the official client's records at level and above
// to l (nil or level "off": discarded). The client logs through one
// process-global logger, which package clientlog switches atomically; with
// several apps in one process the last one started wins. The returned
// function undoes it unless another app routed the records since; apps
// call it on stop, so that lingering client goroutines do not log into a
// finished test's logger.
func routeClientLog(l *slog.Logger, level string) (unroute func()) {
	if l == nil || level == "off" {
		return clientlog.Route(nil)
	}
	return clientlog.Route(slog.New(minLevel{min: parseLevel(level), next: l.Handler()}))
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelWarn
	}
	return l
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
