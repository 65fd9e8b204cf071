package clientlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// The transactional producer's "state unexpected" record, logged for
// every local transaction that rolls back, is Debug, not Error; other
// Error records stay Error.
func TestRollbackOfLocalTransactionIsNoError(t *testing.T) {
	var buf bytes.Buffer
	Route(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { Route(nil) })

	rlog.Error("executeLocalTransaction but state unexpected", map[string]any{"localState": 2})
	rlog.Error("send ReqENDTransaction to broker error", nil)

	out := buf.String()
	if !strings.Contains(out, `level=DEBUG msg="executeLocalTransaction but state unexpected"`) {
		t.Errorf("rollback record not at DEBUG:\n%s", out)
	}
	if !strings.Contains(out, `level=ERROR msg="send ReqENDTransaction to broker error"`) {
		t.Errorf("real error not at ERROR:\n%s", out)
	}
}
