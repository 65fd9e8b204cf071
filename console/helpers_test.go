package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/console"
)

// env is a console over a test broker, with a producer of the kit's
// client.
type env struct {
	b    *broker.Broker
	adm  *admin.Client
	con  *console.Console
	srv  *httptest.Server
	prod *client.Producer
}

func newEnv(t *testing.T, cred client.Credentials, bopts ...brokertest.Option) *env {
	t.Helper()
	b := brokertest.Start(t, bopts...)
	adm, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, Credentials: cred, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}, Credentials: cred})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p, err := c.NewProducer(client.ProducerConfig{Group: "console-test-pg"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	con, err := console.New(adm, console.Config{}, console.WithSender(p))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)
	return &env{b: b, adm: adm, con: con, srv: srv, prod: p}
}

// get answers GET path's status and body.
func (e *env) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// getJSON decodes GET path's answer into v, failing unless it is 200.
func (e *env) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, body := e.get(t, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// token is the session's CSRF token.
func (e *env) token(t *testing.T) string {
	var s struct{ CSRFToken string }
	e.getJSON(t, "/api/session", &s)
	if len(s.CSRFToken) < 32 {
		t.Fatalf("csrf token %q", s.CSRFToken)
	}
	return s.CSRFToken
}

// post sends body as JSON with the given headers and returns the status
// and answer.
func (e *env) post(t *testing.T, path string, body any, header map[string]string) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// send sends one message with the producer.
func (e *env) send(t *testing.T, m *client.Message) *client.SendResult {
	t.Helper()
	res, err := e.prod.Send(t.Context(), m)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return res
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func testContext(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), time.Minute)
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
