package broker_test

// Helpers for the fidelity tests: frames whose JSON header is written by
// hand, as clients other than the Go ones write them.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// writeJSON sends a frame with header as its JSON header, "$OPAQUE" in it
// replaced by the next opaque, which it returns.
func (c *rawConn) writeJSON(t testing.TB, header string, body []byte) int32 {
	t.Helper()
	c.opaque++
	h := strings.ReplaceAll(header, "$OPAQUE", strconv.Itoa(int(c.opaque)))
	if err := c.write(rawFrame(remoting.SerializeJSON, []byte(h), body)); err != nil {
		t.Fatalf("write %s: %v", h, err)
	}
	return c.opaque
}

// nextResponse reads the next response, skipping the broker's own requests.
func (c *rawConn) nextResponse() (*remoting.Command, error) {
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(rawTimeout))
		resp, err := remoting.ReadCommand(c.r, 256<<20)
		if err != nil {
			return nil, err
		}
		if resp.IsResponse() {
			return resp, nil
		}
	}
}

// callJSON is writeJSON followed by reading its answer, which must be the
// next response on the connection.
func (c *rawConn) callJSON(t testing.TB, header string, body []byte) *remoting.Command {
	t.Helper()
	opaque := c.writeJSON(t, header, body)
	resp, err := c.nextResponse()
	if err != nil {
		t.Fatalf("answer to %s: %v", header, err)
	}
	if resp.Opaque != opaque {
		t.Fatalf("next answer has opaque %d (code %d, %s), want %d", resp.Opaque, resp.Code, resp.Remark, opaque)
	}
	return resp
}

// jsonHeader is a request header as a JavaScript client writes it: numbers
// and booleans in extFields stay numbers and booleans. ext is the extFields
// object's inside.
func jsonHeader(code int16, flag int, ext string) string {
	return fmt.Sprintf(`{"code":%d,"language":"NODE_JS","version":0,"opaque":$OPAQUE,"flag":%d,"remark":null,"extFields":{%s}}`,
		code, flag, ext)
}

// jsonString quotes s for a JSON header, escaping the property separators.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // \x01 -> \u0001
	return string(b)
}
