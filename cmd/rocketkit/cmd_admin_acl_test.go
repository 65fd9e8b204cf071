package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// cliACL is a plain_acl.yml: cli-account may send to and consume cli-acl,
// cli-admin is an admin.
const cliACL = `accounts:
  - accessKey: cli-account
    secretKey: cli-secret-key
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - cli-acl=PUB|SUB
  - accessKey: cli-admin
    secretKey: cli-admin-secret
    admin: true
`

func startCLIACLBroker(t *testing.T) *broker.Broker {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	if err := os.WriteFile(path, []byte(cliACL), 0o600); err != nil {
		t.Fatal(err)
	}
	return brokertest.Start(t, brokertest.WithACL(path))
}

// wantRefusedCLI fails unless the command exited exitFailure saying
// NO_PERMISSION and remark.
func wantRefusedCLI(t *testing.T, remark string, args ...string) {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != exitFailure || !strings.Contains(errOut, "No permission") || !strings.Contains(errOut, remark) {
		t.Fatalf("rocketkit %s: exit %d, want %d with NO_PERMISSION and %q\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), code, exitFailure, remark, out, errOut)
	}
}

// rocketkit admin and bench sign with --ak/--sk, or with
// ROCKETMQ_ACCESS_KEY and ROCKETMQ_SECRET_KEY: the account sends, consumes
// and looks messages up; no credentials and a wrong secret key are
// refused; only the admin account creates topics.
func TestCLICredentials(t *testing.T) {
	b := startCLIACLBroker(t)
	ns := b.Addr()
	creds := []string{"--ak", "cli-account", "--sk", "cli-secret-key"}

	for _, client := range []string{"rocketkit", "official"} {
		out := mustRun(t, append([]string{"bench", "produce", "--client", client, "-n", ns, "-t", "cli-acl", "--count", "20", "-w", "1", "--keys"}, creds...)...)
		wantContains(t, "bench produce --client "+client, out, "20 sent, 0 errors")
	}
	out := mustRun(t, append([]string{"bench", "consume", "-n", ns, "-t", "cli-acl", "-g", "cli-readers", "--count", "40", "--duration", "2m"}, creds...)...)
	wantContains(t, "bench consume", out, "consume summary", "group cli-readers")

	wantRefusedCLI(t, "SEND_MESSAGE", "bench", "produce", "-n", ns, "-t", "cli-acl", "--count", "1", "-w", "1")
	wantRefusedCLI(t, "signature mismatch for access key cli-account",
		"bench", "produce", "-n", ns, "-t", "cli-acl", "--count", "1", "-w", "1", "--ak", "cli-account", "--sk", "not-the-secret")

	// The topic list comes from the name server, which needs no signature;
	// consumer progress and message lookups come from the broker, which does.
	wantContains(t, "topicList", mustRun(t, append([]string{"admin", "topicList", "-n", ns}, creds...)...), "cli-acl")
	wantContains(t, "consumerProgress", mustRun(t, append([]string{"admin", "consumerProgress", "-n", ns, "-g", "cli-readers"}, creds...)...), "cli-acl")
	wantRefusedCLI(t, "is not signed", "admin", "consumerProgress", "-n", ns, "-g", "cli-readers")
	wantRefusedCLI(t, "needs an admin account", append([]string{"admin", "updateTopic", "-n", ns, "-t", "cli-new"}, creds...)...)

	// The environment, with flags given before the command's name.
	t.Setenv(envAccessKey, "cli-admin")
	t.Setenv(envSecretKey, "cli-admin-secret")
	mustRun(t, "admin", "-n", ns, "updateTopic", "-t", "cli-new")
	wantContains(t, "topicList", mustRun(t, "admin", "topicList", "-n", ns), "cli-new")
	wantRefusedCLI(t, "signature mismatch for access key cli-admin", "admin", "--sk", "not-the-secret", "consumerProgress", "-n", ns, "-g", "cli-readers")
}

func TestCLICredentialsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"admin", "topicList", "--ak", "only-the-access-key"},
		{"bench", "produce", "--sk", "only-the-secret"},
		{"demo", "--ak", "only-the-access-key"},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "--ak and --sk (or $ROCKETMQ_ACCESS_KEY and $ROCKETMQ_SECRET_KEY) go together") {
			t.Errorf("rocketkit %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, errOut)
		}
	}
	// -h never shows a secret key given in the environment.
	t.Setenv(envSecretKey, "secret-in-the-env")
	code, out, errOut := runCLI(t, "admin", "--sk", "secret-on-the-line", "topicList", "-h")
	if code != exitOK || strings.Contains(out+errOut, "secret-in") || strings.Contains(out+errOut, "secret-on") || !strings.Contains(out, "-sk") {
		t.Errorf("admin topicList -h: exit %d\n%s%s", code, out, errOut)
	}
}

// With --ak/--sk the demo's broker enforces ACL for that one account,
// and the flow still runs end to end on either client.
func TestDemoWithCredentials(t *testing.T) {
	for _, which := range []string{"rocketkit", "official"} {
		out := mustRun(t, "demo", "-orders", "5", "-client", which, "-data", t.TempDir(), "--ak", "demo-account", "--sk", "demo-secret-key")
		wantContains(t, "demo --ak --client "+which, out, "enforces ACL: account demo-account", "received 10 of 10", "demo OK")
	}
}
