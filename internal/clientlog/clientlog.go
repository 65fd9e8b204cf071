package clientlog

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// target is where the client's records go; nil discards them.
var target atomic.Pointer[slog.Logger]

// The client reads its process-global logger without synchronisation, so
// it is set exactly once, here, before any goroutine can log: to an
// adapter that reads target on every record, which Route may switch at any
// time.
func init() { rlog.SetLogger(&adapter{}) }

// Route sends the client's records to l from now on (nil discards them),
// also while clients run. The returned function undoes it: it discards
// the records again unless another Route replaced l since.
func Route(l *slog.Logger) (undo func()) {
	target.Store(l)
	return func() { target.CompareAndSwap(l, nil) }
}

// adapter implements rlog.Logger over the slog logger in target.
type adapter struct{}

var _ rlog.Logger = (*adapter)(nil)

func (a *adapter) log(level slog.Level, msg string, fields map[string]any, extra ...slog.Attr) {
	l := target.Load()
	ctx := context.Background()
	if l == nil || !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(fields)+len(extra)+1)
	attrs = append(attrs, slog.String("component", "rocketmq-client"))
	for k, v := range fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	attrs = append(attrs, extra...)
	l.LogAttrs(ctx, level, msg, attrs...)
}

// Debug logs at slog.LevelDebug.
func (a *adapter) Debug(msg string, fields map[string]any) { a.log(slog.LevelDebug, msg, fields) }

// Info logs at slog.LevelInfo.
func (a *adapter) Info(msg string, fields map[string]any) { a.log(slog.LevelInfo, msg, fields) }

// Warning logs at slog.LevelWarn.
func (a *adapter) Warning(msg string, fields map[string]any) { a.log(slog.LevelWarn, msg, fields) }

// Error logs at slog.LevelError, or lower for the records in demoted.
func (a *adapter) Error(msg string, fields map[string]any) {
	level := slog.LevelError
	if l, ok := demoted[msg]; ok {
		level = l
	}
	a.log(level, msg, fields)
}

// demoted are the client's Error records that report no error, with the
// level they are logged at instead.
var demoted = map[string]slog.Level{
	// Logged by the transactional producer for every local transaction
	// that does not answer commit: a rollback or unknown answer is an
	// outcome the caller chose and reports itself (txcheck's probe rolls
	// back on every start).
	"executeLocalTransaction but state unexpected": slog.LevelDebug,
}

// Fatal logs at slog.LevelError with fatal=true; it does not exit.
func (a *adapter) Fatal(msg string, fields map[string]any) {
	a.log(slog.LevelError, msg, fields, slog.Bool("fatal", true))
}

// Level is ignored: the slog handler filters.
func (a *adapter) Level(string) {}

// OutputPath is ignored: the slog handler decides where records go.
func (a *adapter) OutputPath(string) error { return nil }
