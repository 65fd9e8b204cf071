package broker_test

// TLS on the listener (Config.TLSMode, TLSCertFile, TLSKeyFile,
// WithTLSConfig). The official client over TLS is tested in package
// brokertest: its TLS switch is process-global, and would turn TLS on for
// every official client this package starts afterwards.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/testcert"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Our client with Config.TLS and the test CA sends and consumes over TLS
// (name-server and broker requests both go over the one TLS listener).
func TestTLSOurClientSendsAndConsumes(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	if got := b.Config().TLSMode; got != broker.TLSEnforcing {
		t.Fatalf("TLSMode with a certificate = %q, want %q", got, broker.TLSEnforcing)
	}
	roundTrip(t, newTLSClient(t, b.Addr(), cert.ClientConfig()), "over TLS")
}

// WithTLSConfig serves the given tls.Config; a client that does not trust
// the certificate fails its handshake.
func TestTLSWithTLSConfigVerifiesCertificate(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLSConfig(cert.ServerConfig()))
	roundTrip(t, newTLSClient(t, b.Addr(), cert.ClientConfig()), "with WithTLSConfig")

	untrusting := newTLSClient(t, b.Addr(), &tls.Config{RootCAs: testcert.New(t).Pool, MinVersion: tls.VersionTLS12})
	p, err := untrusting.NewProducer(client.ProducerConfig{Group: uniqueName("pg_tls")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Send(t.Context(), &client.Message{Topic: uniqueName("t_tls"), Body: []byte("x")})
	var unknownAuthority x509.UnknownAuthorityError
	if !errors.As(err, &unknownAuthority) {
		t.Fatalf("send with an untrusted certificate: %v, want a certificate verification error", err)
	}
}

// Permissive mode serves a TLS client and a plain client on the same port.
func TestTLSPermissiveServesPlainAndTLS(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile),
		brokertest.WithConfig(func(c *broker.Config) { c.TLSMode = broker.TLSPermissive }))
	roundTrip(t, newTLSClient(t, b.Addr(), cert.ClientConfig()), "TLS client, permissive broker")

	plain, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Close() })
	roundTrip(t, plain, "plain client, permissive broker")

	// A plain raw connection on the same port too.
	expectRoute(t, dialRaw(t, b.Addr()), uniqueName("t_perm"))
}

// Enforcing mode refuses plain clients: the first request is answered
// SYSTEM_ERROR with a remark that says TLS is required, the connection is
// closed, and the broker logs the refusal. Our client shows the remark.
func TestTLSEnforcingRefusesPlainClients(t *testing.T) {
	cert := testcert.New(t)
	logs := &syncBuffer{}
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile),
		brokertest.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))

	rc := dialRaw(t, b.Addr())
	resp, err := rc.call(remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: "t"}}, nil)
	if err != nil {
		t.Fatalf("plain request to an enforcing broker: %v, want an answer", err)
	}
	if resp.Code != remoting.SystemError || !strings.Contains(resp.Remark, "requires TLS") {
		t.Fatalf("answer %d %q, want SYSTEM_ERROR saying TLS is required", resp.Code, resp.Remark)
	}
	if err := rc.expectClosed(); err != nil {
		t.Fatalf("after the refusal: %v", err)
	}
	if !strings.Contains(logs.String(), "plain-text connection refused: this broker requires TLS") {
		t.Fatalf("the broker did not log the refusal:\n%s", logs)
	}

	plain, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Close() })
	p, err := plain.NewProducer(client.ProducerConfig{Group: uniqueName("pg_plain")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Send(t.Context(), &client.Message{Topic: uniqueName("t_enf"), Body: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "requires TLS") {
		t.Fatalf("plain client's send: %v, want an error saying TLS is required", err)
	}
	t.Logf("our plain client against an enforcing broker: %v", err)

	// The official client (plain, as in this package) fails too; it
	// reports the route lookup's failure, not the remark.
	off := startProducer(t, b, producer.WithRetry(0))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := off.SendSync(ctx, primitive.NewMessage(uniqueName("t_enf"), []byte("x")))
	if err == nil {
		t.Fatalf("the official plain client sent to an enforcing broker: %v", res)
	}
	t.Logf("the official plain client against an enforcing broker: %v", err)
}

// A TLS client of a plain broker is closed, and the broker's log says
// that a TLS client met a plain listener.
func TestTLSClientOfPlainBrokerIsNamedInLog(t *testing.T) {
	logs := &syncBuffer{}
	b := brokertest.Start(t, brokertest.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	nc, err := net.DialTimeout("tcp", b.Addr(), rawTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(rawTimeout))
	tc := testcert.New(t).ClientConfig()
	tc.ServerName = "127.0.0.1"
	err = tls.Client(nc, tc).Handshake()
	if err == nil {
		t.Fatal("TLS handshake with a plain broker succeeded")
	}
	waitFor(t, "the log line", func() bool { return strings.Contains(logs.String(), "a TLS client, but this broker serves plain TCP") })
}

// A configured mode without a certificate, and half a key pair, are
// refused at start.
func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		cfg  broker.Config
		want string
	}{
		{"enforcing without certificate", broker.Config{TLSMode: broker.TLSEnforcing}, "needs tls-cert-file"},
		{"certificate without key", broker.Config{TLSCertFile: "c.pem"}, "tls-cert-file and tls-key-file go together"},
		{"unknown mode", broker.Config{TLSMode: "strict"}, "must be disabled, permissive or enforcing"},
		{"missing files", broker.Config{TLSCertFile: dir + "/no.pem", TLSKeyFile: dir + "/no.key"}, "load TLS certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.DataDir, tt.cfg.Listen = t.TempDir(), "127.0.0.1:0"
			b, err := broker.Start(context.Background(), tt.cfg)
			if err == nil {
				_ = b.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// newTLSClient is our client over TLS with tc, closed at test end.
func newTLSClient(t *testing.T, addr string, tc *tls.Config) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{NameServers: []string{addr}, TLS: true}, client.WithTLSConfig(tc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// roundTrip sends a message with c and consumes it with a new group.
func roundTrip(t *testing.T, c *client.Client, what string) {
	t.Helper()
	ctx := t.Context()
	topic, group := uniqueName("t_tls"), uniqueName("g_tls")
	p, err := c.NewProducer(client.ProducerConfig{Group: uniqueName("pg_tls")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Send(ctx, &client.Message{Topic: topic, Body: []byte(what)}); err != nil {
		t.Fatalf("%s: send: %v", what, err)
	}
	got := make(chan string, 1)
	con, err := c.NewConsumer(client.ConsumerConfig{Group: group, ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			for _, m := range msgs {
				select {
				case got <- string(m.Body):
				default:
				}
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(ctx); err != nil {
		t.Fatalf("%s: start consumer: %v", what, err)
	}
	defer func() { _ = con.Close(context.Background()) }()
	select {
	case body := <-got:
		if body != what {
			t.Fatalf("%s: received %q", what, body)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: the consumer received nothing", what)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// timeout (nothing is timed against it).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the broker's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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
