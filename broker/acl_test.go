package broker_test

// ACL (Config.ACLEnable, package broker/acl) through the official Go
// client, its admin client, our client and our admin package.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	ouradmin "github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/acl"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// aclAccount is one account of a test plain_acl.yml.
type aclAccount struct {
	ak, sk, white string
	admin         bool
	topicDefault  string
	groupDefault  string
	topics        []string // "topic=PERM"
	groups        []string // "group=PERM"
}

// aclYAML renders a plain_acl.yml.
func aclYAML(globalWhite []string, accounts ...aclAccount) string {
	var sb strings.Builder
	sb.WriteString("globalWhiteRemoteAddresses:\n")
	for _, w := range globalWhite {
		fmt.Fprintf(&sb, "  - %q\n", w)
	}
	sb.WriteString("accounts:\n")
	for _, a := range accounts {
		fmt.Fprintf(&sb, "  - accessKey: %s\n    secretKey: %s\n    admin: %v\n", a.ak, a.sk, a.admin)
		if a.white != "" {
			fmt.Fprintf(&sb, "    whiteRemoteAddress: %q\n", a.white)
		}
		if a.topicDefault != "" {
			fmt.Fprintf(&sb, "    defaultTopicPerm: %s\n", a.topicDefault)
		}
		if a.groupDefault != "" {
			fmt.Fprintf(&sb, "    defaultGroupPerm: %s\n", a.groupDefault)
		}
		for _, list := range []struct {
			key   string
			perms []string
		}{{"topicPerms", a.topics}, {"groupPerms", a.groups}} {
			if len(list.perms) > 0 {
				fmt.Fprintf(&sb, "    %s:\n", list.key)
				for _, p := range list.perms {
					fmt.Fprintf(&sb, "      - %s\n", p)
				}
			}
		}
	}
	return sb.String()
}

// writeACL replaces the file at path with content (write and rename, so
// the broker never reads it half written).
func writeACL(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// startACLBroker starts a broker with ACL on, reading the file content is
// written to; it returns the broker and the file's path.
func startACLBroker(t testing.TB, content string, opts ...brokertest.Option) (*broker.Broker, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	writeACL(t, path, content)
	return brokertest.Start(t, append([]brokertest.Option{brokertest.WithACL(path)}, opts...)...), path
}

// credentials returns the official client's options for ak/sk.
func credentials(ak, sk string) primitive.Credentials {
	return primitive.Credentials{AccessKey: ak, SecretKey: sk}
}

// trySend sends one message and returns the client's error.
func trySend(p producerAPI, topic, body string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(body)))
	if err == nil && res.Status != primitive.SendOK {
		err = fmt.Errorf("status %v", res.Status)
	}
	return err
}

// wantRefused fails unless err is the broker's NO_PERMISSION answer with
// want in its remark, as the official client surfaces it.
func wantRefused(t testing.TB, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want NO_PERMISSION (%s)", what, want)
	}
	if msg := err.Error(); !strings.Contains(msg, "16") || !strings.Contains(msg, "No permission") || !strings.Contains(msg, want) {
		t.Fatalf("%s: %v, want NO_PERMISSION (16) mentioning %q", what, err, want)
	}
}

const (
	akPubSub = "pubsub-account"
	skPubSub = "pubsub-secret"
)

func TestACLAccountWithPubSubSendsAndConsumes(t *testing.T) {
	topic, group := uniqueName("t_acl"), uniqueName("g_acl")
	b, _ := startACLBroker(t, aclYAML(nil, aclAccount{ak: akPubSub, sk: skPubSub,
		topics: []string{topic + "=PUB|SUB"}, groups: []string{group + "=SUB"}}))
	cred := credentials(akPubSub, skPubSub)
	p := startProducer(t, b, producer.WithCredentials(cred))
	sendSync(t, p, primitive.NewMessage(topic, []byte("signed")))

	r := newReceived()
	startConsumer(t, b, group, topic, "*", r, consumer.WithCredentials(cred))
	if got := bodies(r.waitFor(t, 1, 30*time.Second)); got[0] != "signed" {
		t.Fatalf("received %q", got)
	}
}

func TestACLRefusesWrongSecretAndUnsigned(t *testing.T) {
	topic := uniqueName("t_acl")
	b, _ := startACLBroker(t, aclYAML(nil, aclAccount{ak: akPubSub, sk: skPubSub, topicDefault: "PUB|SUB"}))
	wrong := startProducer(t, b, producer.WithCredentials(credentials(akPubSub, "not-the-secret")))
	wantRefused(t, "wrong secret key", trySend(wrong, topic, "x"), "signature mismatch for access key "+akPubSub)
	unknown := startProducer(t, b, producer.WithCredentials(credentials("nobody-knows-me", skPubSub)))
	wantRefused(t, "unknown access key", trySend(unknown, topic, "x"), "access key nobody-knows-me unknown")
	unsigned := startProducer(t, b)
	wantRefused(t, "no credentials", trySend(unsigned, topic, "x"), "not signed (no AccessKey) and 127.0.0.1 is not in a white list")
}

func TestACLDenyTopicAndSubOnlyAccount(t *testing.T) {
	open, denied := uniqueName("t_open"), uniqueName("t_denied")
	b, _ := startACLBroker(t, aclYAML(nil,
		aclAccount{ak: akPubSub, sk: skPubSub, topicDefault: "PUB|SUB", topics: []string{denied + "=DENY"}},
		aclAccount{ak: "sub-only-account", sk: "sub-only-secret", topicDefault: "SUB", groupDefault: "SUB"}))
	p := startProducer(t, b, producer.WithCredentials(credentials(akPubSub, skPubSub)))
	sendSync(t, p, primitive.NewMessage(open, []byte("ok")))
	wantRefused(t, "send to a DENY topic", trySend(p, denied, "x"), "account "+akPubSub+" has no PUB on topic "+denied)

	sub := startProducer(t, b, producer.WithCredentials(credentials("sub-only-account", "sub-only-secret")))
	wantRefused(t, "send with SUB only", trySend(sub, open, "x"), "account sub-only-account has no PUB on topic "+open)
}

func TestACLTopicCreationNeedsAdmin(t *testing.T) {
	b, _ := startACLBroker(t, aclYAML(nil,
		aclAccount{ak: akPubSub, sk: skPubSub, topicDefault: "PUB|SUB"},
		aclAccount{ak: "admin-account", sk: "admin-secret", admin: true}))
	ctx := t.Context()
	ours, err := ouradmin.New(ouradmin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	// Our admin package does not sign: refused, and the remark says why.
	_, err = ours.UpdateTopic(ctx, ouradmin.TopicSpec{Topic: uniqueName("t_unsigned")})
	if !errors.Is(err, &remoting.Error{Code: remoting.NoPermission}) || !strings.Contains(err.Error(), "UPDATE_AND_CREATE_TOPIC is not signed") {
		t.Fatalf("unsigned topic creation: %v, want NO_PERMISSION", err)
	}

	// The official admin client ignores the answer's code: look at the
	// topic list (name-server requests need no signature).
	create := func(ak, sk, topic string) {
		t.Helper()
		adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{b.Addr()})),
			admin.WithCredentials(credentials(ak, sk)))
		if err != nil {
			t.Fatal(err)
		}
		defer adm.Close()
		// The official admin signs only once RegisterACL ran, which only
		// GetAllSubscriptionGroup calls.
		if _, err := adm.GetAllSubscriptionGroup(ctx, b.Addr(), 5*time.Second); err != nil {
			t.Fatalf("list groups as %s: %v", ak, err)
		}
		if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(b.Addr())); err != nil {
			t.Fatalf("create topic as %s: %v", ak, err)
		}
	}
	byUser, byAdmin := uniqueName("t_by_user"), uniqueName("t_by_admin")
	create(akPubSub, skPubSub, byUser)
	create("admin-account", "admin-secret", byAdmin)
	topics, err := ours.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(topics, byUser) {
		t.Errorf("non-admin account created topic %s", byUser)
	}
	if !slices.Contains(topics, byAdmin) {
		t.Errorf("admin account could not create topic %s (topics %v)", byAdmin, topics)
	}
}

func TestACLWhiteLists(t *testing.T) {
	topic := uniqueName("t_white")
	acc := aclAccount{ak: akPubSub, sk: skPubSub, topicDefault: "PUB|SUB"}
	outside, _ := startACLBroker(t, aclYAML([]string{"10.9.*.*", "192.168.0.1-20"}, acc))
	wantRefused(t, "unsigned from outside the white list", trySend(startProducer(t, outside), topic, "x"), "not in a white list")

	inside, _ := startACLBroker(t, aclYAML([]string{"10.9.*.*", "127.0.0.*"}, acc))
	sendSync(t, startProducer(t, inside), primitive.NewMessage(topic, []byte("white-listed")))

	// An account's own white list lets its requests through unverified.
	acc.white, acc.topicDefault = "10.0.0.1,127.0.0.1", "DENY"
	own, _ := startACLBroker(t, aclYAML(nil, acc))
	p := startProducer(t, own, producer.WithCredentials(credentials(akPubSub, "not-the-secret")))
	sendSync(t, p, primitive.NewMessage(topic, []byte("account white list")))
}

func TestACLReloadsTheFile(t *testing.T) {
	topic := uniqueName("t_reload")
	logs := &clienttest.LockedBuffer{}
	acc := aclAccount{ak: akPubSub, sk: skPubSub, topicDefault: "SUB"}
	b, path := startACLBroker(t, aclYAML(nil, acc),
		brokertest.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	p := startProducer(t, b, producer.WithCredentials(credentials(akPubSub, skPubSub)))
	wantRefused(t, "send with SUB only", trySend(p, topic, "x"), "has no PUB on topic "+topic)

	// The new permission applies once the broker has read the file again.
	acc.topicDefault = "PUB|SUB"
	writeACL(t, path, aclYAML(nil, acc))
	deadline := time.Now().Add(30 * time.Second)
	for err := trySend(p, topic, "after reload"); err != nil; err = trySend(p, topic, "after reload") {
		if time.Now().After(deadline) {
			t.Fatalf("the new permission never applied: %v\nlogs:\n%s", err, logs)
		}
	}

	// A broken file keeps the last good one, and says why.
	writeACL(t, path, "accounts:\n  - accessKey: "+akPubSub+"\n    secretKey: "+skPubSub+"\n    defaultTopicPerm: PUB-SUB\n")
	for !strings.Contains(logs.String(), "acl file broken; keeping the last good one") {
		if time.Now().After(deadline) {
			t.Fatalf("the broken file was never reported; logs:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `PUB-SUB\" is none of DENY, PUB, SUB, PUB|SUB`) {
		t.Errorf("the log does not say what is wrong:\n%s", logs)
	}
	sendSync(t, p, primitive.NewMessage(topic, []byte("last good file")))
}

// Our client signs with client.Config.Credentials: the account's sends and
// its consumer go through; a wrong secret key is refused with
// NO_PERMISSION, which the client reports as a *remoting.Error.
func TestACLOurClient(t *testing.T) {
	topic, group := uniqueName("t_acl_ours"), uniqueName("g_acl_ours")
	b, _ := startACLBroker(t, aclYAML(nil, aclAccount{ak: akPubSub, sk: skPubSub,
		topics: []string{topic + "=PUB|SUB"}, groups: []string{group + "=SUB"}}))
	ctx := t.Context()
	newClient := func(sk string) *client.Client {
		t.Helper()
		c, err := client.New(client.Config{NameServers: []string{b.Addr()},
			Credentials: client.Credentials{AccessKey: akPubSub, SecretKey: sk}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	newProducer := func(c *client.Client) *client.Producer {
		t.Helper()
		p, err := c.NewProducer(client.ProducerConfig{Group: uniqueName("pg_acl")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	}

	wrong := newProducer(newClient("not-the-secret"))
	_, err := wrong.Send(ctx, &client.Message{Topic: topic, Body: []byte("x")})
	if !errors.Is(err, &remoting.Error{Code: remoting.NoPermission}) || !strings.Contains(err.Error(), "signature mismatch for access key "+akPubSub) {
		t.Fatalf("send with a wrong secret key: %v, want NO_PERMISSION", err)
	}

	c := newClient(skPubSub)
	if _, err := newProducer(c).Send(ctx, &client.Message{Topic: topic, Body: []byte("ours")}); err != nil {
		t.Fatalf("send: %v", err)
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
		t.Fatalf("start consumer: %v", err)
	}
	defer func() { _ = con.Close(context.Background()) }()
	select {
	case body := <-got:
		if body != "ours" {
			t.Fatalf("received %q", body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the account's consumer received nothing")
	}
}

// A refused request is answered NO_PERMISSION on a connection that stays
// open: the next (signed) request on it is served. A refused one-way
// request gets no answer.
func TestACLRefusalKeepsConnection(t *testing.T) {
	b, _ := startACLBroker(t, aclYAML(nil, aclAccount{ak: akPubSub, sk: skPubSub, topicDefault: "PUB|SUB"}))
	rc := dialRaw(t, b.Addr())
	topic := uniqueName("t_raw")
	resp := rc.mustCall(t, remoting.SendMessage, remoting.Fields{{Key: "topic", Value: topic}}, []byte("x"))
	if resp.Code != remoting.NoPermission || !strings.Contains(resp.Remark, "SEND_MESSAGE is not signed") {
		t.Fatalf("unsigned send: %d %q, want NO_PERMISSION", resp.Code, resp.Remark)
	}

	oneway := &remoting.Command{Code: remoting.SendMessage, Language: "GO", Version: remoting.Version, Opaque: 999,
		Flag: remoting.FlagOneway, ExtFields: remoting.Fields{{Key: "topic", Value: topic}}}
	if err := rc.write(remoting.AppendFrame(nil, oneway)); err != nil {
		t.Fatal(err)
	}
	signed := remoting.Fields{{Key: "topic", Value: topic}, {Key: "queueId", Value: "0"}, {Key: acl.FieldAccessKey, Value: akPubSub}}
	signed.Set(acl.FieldSignature, acl.Sign(signed, nil, skPubSub))
	// call fails on an answer with another opaque, such as one to the
	// one-way request.
	if resp := rc.mustCall(t, remoting.GetMaxOffset, signed, nil); resp.Code == remoting.NoPermission {
		t.Fatalf("signed request refused: %q", resp.Remark)
	}
}
