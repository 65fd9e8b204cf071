package console_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"github.com/rocketkit/rocketkit/client"
)

// A time range read in pages of one message keeps to its begin on every
// page: a page that ends at the end of a queue hands on a cursor that
// starts the next queue at the begin time, not at the queue's first
// message (which was stored before the range).
func TestTimeRangeCursorKeepsBegin(t *testing.T) {
	const topic, n = "paged-begin", 8
	e := newEnv(t, client.Credentials{})
	at := sendPhases(t, e, topic, n)
	seen := map[string]int{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 4*n {
			t.Fatalf("more than %d pages for %d messages", 4*n, n)
		}
		var d struct {
			Messages []struct{ Body string }
			Next     string
		}
		e.getJSON(t, "/api/messages?topic="+topic+"&limit=1&begin="+strconv.FormatInt(at, 10)+"&cursor="+url.QueryEscape(cursor), &d)
		for _, m := range d.Messages {
			seen[m.Body]++
		}
		if cursor = d.Next; cursor == "" {
			break
		}
	}
	for i := range n {
		if b := fmt.Sprintf("b%d", i); seen[b] != 1 {
			t.Errorf("%s read %d times, want 1", b, seen[b])
		}
		if a := fmt.Sprintf("a%d", i); seen[a] != 0 {
			t.Errorf("%s, stored before the range, read %d times", a, seen[a])
		}
	}
}
