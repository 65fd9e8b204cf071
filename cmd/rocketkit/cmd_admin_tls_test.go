package main

import (
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/testcert"
)

// admin and bench dial a TLS-only broker with --tls-ca or
// --tls-insecure-skip-verify; the system's roots and plain TCP fail,
// saying what to do.
func TestCLITLS(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	ns := b.Addr()

	out := mustRun(t, "bench", "produce", "-n", ns, "-t", "cli-tls", "--count", "5", "-w", "1", "--tls-ca", cert.CertFile)
	wantContains(t, "bench produce --tls-ca", out, "5 sent, 0 errors")
	wantContains(t, "topicList --tls-ca", mustRun(t, "admin", "topicList", "-n", ns, "--tls-ca", cert.CertFile), "cli-tls")
	wantContains(t, "topicStatus --tls-insecure-skip-verify",
		mustRun(t, "admin", "topicStatus", "-n", ns, "-t", "cli-tls", "--tls", "--tls-insecure-skip-verify"), "Messages stored: 5")

	code, _, errOut := runCLI(t, "admin", "topicList", "-n", ns, "--tls")
	if code != exitFailure || !strings.Contains(errOut, "unknown authority") || !strings.Contains(errOut, "--tls-ca FILE") {
		t.Errorf("--tls with the system's roots: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runCLI(t, "bench", "produce", "-n", ns, "--count", "1", "--client", "official", "--tls-ca", cert.CertFile)
	if code == exitOK || !strings.Contains(errOut, "the official client does not verify certificates") {
		t.Errorf("--client official --tls-ca: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runCLI(t, "admin", "topicList", "-n", ns, "--tls-ca", cert.KeyFile)
	if code != exitUsage || !strings.Contains(errOut, "holds no PEM certificate") {
		t.Errorf("--tls-ca with a key: exit %d\n%s", code, errOut)
	}
}
