package starter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/testcert"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.uber.org/fx"
)

type TLSOrders struct {
	listener.Concurrent `topic:"tls-orders" group:"tls-orders-cg"`
	in                  *inbox
}

func (l *TLSOrders) Handle(_ context.Context, m *listener.Message) error {
	l.in.add(m)
	return nil
}

// runTLSApp starts an app with cfg and a listener, sends through the
// Template and waits for the listener; the subscription check and
// Endpoint.Admin and Health run over the same TLS.
func runTLSApp(t *testing.T, cfg map[string]any) {
	t.Helper()
	orders := &TLSOrders{in: newInbox()}
	var health *starter.Health
	app := startertest.New(t, startertest.Config(cfg), startertest.Listener(func() *TLSOrders { return orders }),
		startertest.Fx(fx.Populate(&health)))
	if _, err := app.Template.Send(sendCtx(t), "tls-orders:created", "over TLS"); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := orders.in.waitFor(t, 1, 30*time.Second); string(got[0].Body) != "over TLS" {
		t.Errorf("received %q", got[0].Body)
	}
	adm, err := app.Endpoint.Admin()
	if err != nil {
		t.Fatal(err)
	}
	if members, err := adm.GroupMembers(sendCtx(t), "tls-orders-cg"); err != nil || len(members) != 1 {
		t.Fatalf("Endpoint.Admin's group members: %v, %v", members, err)
	}
	if err := health.Check(sendCtx(t)); err != nil {
		t.Fatalf("health: %v", err)
	}
}

// rocketmq.tls with tls-ca (or tls-insecure-skip-verify) reaches a
// TLS-only broker, external or embedded: sends, listeners, the
// subscription check and Endpoint.Admin. (The official client is left
// out: its TLS is process-wide and would leak into the package's other
// tests.)
func TestTLSThroughStarter(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	t.Run("tls-ca", func(t *testing.T) {
		runTLSApp(t, map[string]any{"rocketmq.name-server": b.Addr(), "rocketmq.tls": true, "rocketmq.tls-ca": cert.CertFile})
	})
	t.Run("tls-insecure-skip-verify", func(t *testing.T) {
		runTLSApp(t, map[string]any{"rocketmq.name-server": b.Addr(), "rocketmq.tls": true, "rocketmq.tls-insecure-skip-verify": true})
	})
	t.Run("embedded", func(t *testing.T) {
		runTLSApp(t, map[string]any{"rocketmq.embedded.tls-cert-file": cert.CertFile, "rocketmq.embedded.tls-key-file": cert.KeyFile,
			"rocketmq.tls": true, "rocketmq.tls-ca": cert.CertFile})
	})
}

// Against a TLS-only broker, start-up fails when the certificate cannot
// be verified (the system's roots) and without TLS.
func TestTLSThroughStarterRefused(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	_, err := startertest.Start(t, startertest.Config(map[string]any{"rocketmq.name-server": b.Addr(), "rocketmq.tls": true}))
	if !errors.Is(err, starter.ErrNameServerUnreachable) || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("system roots: %v", starter.Cause(err))
	}
	_, err = startertest.Start(t, startertest.Config(map[string]any{"rocketmq.name-server": b.Addr()}))
	if !errors.Is(err, starter.ErrNameServerUnreachable) {
		t.Fatalf("without TLS: %v", starter.Cause(err))
	}
	_, err = startertest.Start(t, startertest.Config(map[string]any{"rocketmq.name-server": b.Addr(), "rocketmq.tls": true, "rocketmq.tls-ca": cert.KeyFile}))
	if err == nil || !strings.Contains(err.Error(), "rocketmq.tls-ca "+cert.KeyFile+" holds no PEM certificate") {
		t.Fatalf("a key for a CA: %v", starter.Cause(err))
	}
}
