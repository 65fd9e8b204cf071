package console_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/console"
)

// State-changing calls need the session token, a JSON body, the
// console's own origin and host; with all of them a test message is sent
// and can be found by its key.
func TestCSRF(t *testing.T) {
	e := newEnv(t, client.Credentials{})
	tok := e.token(t)
	body := map[string]string{"topic": "csrf-topic", "body": "hello", "keys": "csrf-key"}
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no token", nil, http.StatusForbidden},
		{"wrong token", map[string]string{"X-Console-Token": strings.Repeat("0", len(tok))}, http.StatusForbidden},
		{"other origin", map[string]string{"X-Console-Token": tok, "Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"X-Console-Token": tok, "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"form body", map[string]string{"X-Console-Token": tok, "Content-Type": "text/plain"}, http.StatusBadRequest},
		{"rebound host", map[string]string{"X-Console-Token": tok, "Host": "evil.example"}, http.StatusForbidden},
	} {
		if status, out := e.postHost(t, "/api/send", body, tc.header); status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, out, tc.want)
		}
	}
	if n := countByKey(t, e, "csrf-topic", "csrf-key"); n != 0 {
		t.Fatalf("a refused request sent %d messages", n)
	}
	origin := e.srv.URL
	status, out := e.post(t, "/api/send", body, map[string]string{"X-Console-Token": tok, "Origin": origin, "Sec-Fetch-Site": "same-origin"})
	if status != http.StatusOK {
		t.Fatalf("same-origin send: %d %s", status, out)
	}
	if n := countByKey(t, e, "csrf-topic", "csrf-key"); n != 1 {
		t.Fatalf("found %d messages with key csrf-key after sending one", n)
	}
	// GETs from a rebound host name are refused too: the page, and the API.
	for _, path := range []string{"/", "/api/session"} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		req.Host = "evil.example:80"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s with Host evil.example: %d, want 403", path, resp.StatusCode)
		}
	}
}

// postHost is post, with a "Host" header entry setting the request's host.
func (e *env) postHost(t *testing.T, path string, body any, header map[string]string) (int, []byte) {
	t.Helper()
	if h, ok := header["Host"]; ok {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(string(b)))
		req.Host = h
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Console-Token", header["X-Console-Token"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	return e.post(t, path, body, header)
}

func countByKey(t *testing.T, e *env, topic, key string) int {
	t.Helper()
	msgs, err := e.adm.QueryByKey(t.Context(), admin.Query{Topic: topic, Key: key})
	if err != nil && !strings.Contains(err.Error(), "not found") {
		t.Fatalf("query: %v", err)
	}
	return len(msgs)
}

// A console given an admin account of an ACL broker works (its requests
// are signed), and no page, asset, API answer or log line holds the
// secret key or the security token.
func TestNoSecretsExposed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	const yml = "accounts:\n  - accessKey: console-ops\n    secretKey: s3cr3t-console-key\n    admin: true\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cred := client.Credentials{AccessKey: "console-ops", SecretKey: "s3cr3t-console-key", SecurityToken: "t0ken-console-secret"}
	b := brokertest.Start(t, brokertest.WithACL(path))
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	adm, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, Credentials: cred})
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.New(adm, console.Config{}, console.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{b: b, adm: adm, con: con}
	e.srv = newServer(t, con)
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}, Credentials: cred})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if e.prod, err = c.NewProducer(client.ProducerConfig{Group: "secret-pg"}); err != nil {
		t.Fatal(err)
	}
	defer e.prod.Close()
	res := e.send(t, &client.Message{Topic: "secret-topic", Keys: []string{"k1"}, Body: []byte(`{"a":1}`)})

	var page strings.Builder
	for _, p := range []string{"/", "/app.js", "/chart.js", "/app.css", "/api/session", "/api/cluster", "/api/topics?system=1",
		"/api/topic?topic=secret-topic", "/api/groups?system=1", "/api/group?group=secret-pg",
		"/api/messages?topic=secret-topic&key=k1", "/api/messages?topic=secret-topic",
		"/api/message?id=" + res.OffsetMsgID, "/api/dlq?group=none", "/api/message?id=bad", "/api/topic?topic=missing"} {
		status, body := e.get(t, p)
		fmt.Fprintf(&page, "%s %d %s\n", p, status, body)
		if p == "/api/messages?topic=secret-topic&key=k1" && (status != 200 || !strings.Contains(string(body), res.MsgID)) {
			t.Errorf("signed key search: %d %s", status, body)
		}
	}
	ctx, cancel := testContext(t)
	done := make(chan error)
	go func() { done <- con.Run(ctx) }()
	waitFor(t, "a topic sample", func() bool { _, b := e.get(t, "/api/cluster"); return strings.Contains(string(b), `"putTps":[{`) })
	cancel()
	<-done
	all := page.String() + logs.String()
	for _, secret := range []string{cred.SecretKey, cred.SecurityToken} {
		if strings.Contains(all, secret) {
			t.Fatalf("%q is exposed:\n%s", secret, all)
		}
	}
	if !strings.Contains(page.String(), "/api/cluster 200") {
		t.Fatalf("the signed console could not read the cluster:\n%s", page.String())
	}
}

// A time range is read in pages of at most limit messages, each message
// once, with a cursor, across every queue.
func TestTimeRangePages(t *testing.T) {
	e := newEnv(t, client.Credentials{})
	sent := map[string]bool{}
	for i := range 45 {
		res := e.send(t, &client.Message{Topic: "paged", Body: fmt.Appendf(nil, "m%d", i)})
		sent[res.MsgID] = true
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var d struct {
			Messages []struct{ MsgID string }
			Next     string
		}
		e.getJSON(t, "/api/messages?topic=paged&limit=7&begin="+fmt.Sprint(time.Now().Add(-time.Hour).UnixMilli())+"&cursor="+cursor, &d)
		if len(d.Messages) > 7 {
			t.Fatalf("a page of limit 7 has %d messages", len(d.Messages))
		}
		for _, m := range d.Messages {
			if seen[m.MsgID] || !sent[m.MsgID] {
				t.Fatalf("message %s seen twice or never sent", m.MsgID)
			}
			seen[m.MsgID] = true
		}
		pages++
		if cursor = d.Next; cursor == "" || pages > 20 {
			break
		}
	}
	if len(seen) != len(sent) {
		t.Fatalf("paged through %d of %d messages in %d pages", len(seen), len(sent), pages)
	}
	// A range in the future holds nothing.
	var d struct{ Messages []any }
	e.getJSON(t, "/api/messages?topic=paged&begin="+fmt.Sprint(time.Now().Add(time.Hour).UnixMilli()), &d)
	if len(d.Messages) != 0 {
		t.Fatalf("%d messages stored in the future", len(d.Messages))
	}
	if status, _ := e.get(t, "/api/messages?topic=paged&cursor=x"); status != http.StatusBadRequest {
		t.Fatalf("bad cursor: %d, want 400", status)
	}
}

// A message's page shows a JSON body pretty-printed, a binary one as
// base64, and a long one cut, with its size.
func TestMessageBody(t *testing.T) {
	e := newEnv(t, client.Credentials{})
	for _, tc := range []struct {
		body     []byte
		encoding string
		want     string
	}{
		{[]byte(`{"order":42,"items":["a"]}`), "json", "{\n  \"order\": 42,\n  \"items\": [\n    \"a\"\n  ]\n}"},
		{[]byte("plain text"), "text", "plain text"},
		{[]byte{0xff, 0x00, 0xfe}, "base64", "/wD+"},
	} {
		res := e.send(t, &client.Message{Topic: "bodies", Body: tc.body})
		var m struct{ Body, BodyEncoding string }
		e.getJSON(t, "/api/message?id="+res.OffsetMsgID, &m)
		if m.Body != tc.want || m.BodyEncoding != tc.encoding {
			t.Errorf("body %q: got %s %q, want %s %q", tc.body, m.BodyEncoding, m.Body, tc.encoding, tc.want)
		}
	}
	res := e.send(t, &client.Message{Topic: "bodies", Body: []byte(strings.Repeat("x", 1000))})
	var d struct {
		Messages []struct {
			Body      string
			Truncated bool
			BodySize  int
		}
	}
	e.getJSON(t, "/api/messages?id="+res.OffsetMsgID, &d)
	if len(d.Messages) != 1 || len(d.Messages[0].Body) != 200 || !d.Messages[0].Truncated || d.Messages[0].BodySize != 1000 {
		t.Fatalf("list preview of a 1000-byte body: %+v", d.Messages)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
