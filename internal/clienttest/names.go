package clienttest

import (
	"fmt"
	"sync/atomic"
	"time"
)

var nameSeq atomic.Int64

// UniqueName returns prefix followed by a time-derived number and a
// process-wide sequence number: a name no other call in this test binary
// (and, in practice, no earlier run against the same broker) returns.
// Tests use it for topics, groups and client instance names, so each
// client object gets its own client instance (ClientID), as the wire doc
// §2.2 requires. The result only adds digits and dashes, so it is a legal
// topic or group name whenever prefix is.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, nameSeq.Add(1))
}
