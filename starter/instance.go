package starter

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync/atomic"
)

// Every producer and consumer gets its own client instance name, so that
// each has its own ClientID (ip@instance) and client instance: the
// official client shares one instance between objects with the same
// ClientID, and two consumers of one group in one process would look like
// one to the broker (S10, wire doc §2.2). The name carries the group, the
// pid and a random per-process token (containers often share pid 1), and a
// sequence number.
var (
	processToken = func() string {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		return fmt.Sprintf("%d%s", os.Getpid(), hex.EncodeToString(b))
	}()
	instanceSeq atomic.Int64
)

// instanceName returns a process-unique client instance name for group.
func instanceName(group string) string {
	return fmt.Sprintf("%s-%s-%d", group, processToken, instanceSeq.Add(1))
}
