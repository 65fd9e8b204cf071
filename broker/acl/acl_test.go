package acl_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/broker/acl"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

const sampleYAML = `
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.{1,2}

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB

  - accessKey: rocketmq2
    secretKey: "87654321"
    whiteRemoteAddress: 192.168.1.*
    admin: true

dataVersion:
  - counter: 3
    timestamp: 1700000000000
`

func mustParse(t *testing.T, yml string) *acl.ACL {
	t.Helper()
	a, err := acl.Parse([]byte(yml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return a
}

// signed returns a request of code with fields, signed as the client does.
func signed(code int16, ak, sk string, body []byte, kv ...string) *remoting.Command {
	var f remoting.Fields
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	req := remoting.NewRequest(code, f, body)
	if ak != "" {
		req.ExtFields.Set(acl.FieldAccessKey, ak)
		req.ExtFields.Set(acl.FieldSignature, acl.Sign(req.ExtFields, req.Body, sk))
	}
	return req
}

var outside = netip.MustParseAddr("172.16.0.9")

func TestParseJavaSample(t *testing.T) {
	a := mustParse(t, sampleYAML)
	if a.Accounts() != 2 {
		t.Fatalf("accounts = %d, want 2", a.Accounts())
	}
	acc := a.Account("RocketMQ")
	if acc == nil || acc.SecretKey != "12345678" || acc.Admin {
		t.Fatalf("account RocketMQ = %+v", acc)
	}
	if acc.DefaultTopicPerm != acl.Deny || acc.DefaultGroupPerm != acl.Sub {
		t.Errorf("defaults = %v, %v", acc.DefaultTopicPerm, acc.DefaultGroupPerm)
	}
	if acc.TopicPerms["topicB"] != acl.Pub|acl.Sub || acc.GroupPerms["groupC"] != acl.Sub || acc.TopicPerms["topicA"] != acl.Deny {
		t.Errorf("perms = %v %v", acc.TopicPerms, acc.GroupPerms)
	}
	if a2 := a.Account("rocketmq2"); a2 == nil || !a2.Admin || a2.DefaultTopicPerm != acl.Deny {
		t.Errorf("account rocketmq2 = %+v", a2)
	}
}

func TestParseRejects(t *testing.T) {
	for name, yml := range map[string]string{
		"short key":       "accounts:\n  - accessKey: ak1\n    secretKey: 12345678\n",
		"unknown perm":    "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n    defaultTopicPerm: PUBSUB\n",
		"no equals":       "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n    topicPerms: [topicA]\n",
		"duplicate key":   "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n  - accessKey: account1\n    secretKey: 87654321\n",
		"duplicate topic": "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n    topicPerms: [a=PUB, a=SUB]\n",
		"bad address":     "globalWhiteRemoteAddresses: [10.0.0.300]\n",
		"unknown field":   "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n    topicPerm: [a=PUB]\n",
		"not yaml":        "accounts: [",
	} {
		if _, err := acl.Parse([]byte(yml)); err == nil {
			t.Errorf("%s: Parse accepted %q", name, yml)
		}
	}
	if _, err := acl.Parse(nil); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

func TestAddrPatterns(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"*", []string{"1.2.3.4", "::1"}, nil},
		{"192.168.0.*", []string{"192.168.0.1", "192.168.0.255"}, []string{"192.168.1.1", "::1"}},
		{"10.10.*.*", []string{"10.10.3.4"}, []string{"10.11.3.4"}},
		{"10.*", []string{"10.200.3.4"}, []string{"11.0.0.0"}},
		{"192.168.1.1-20", []string{"192.168.1.1", "192.168.1.20"}, []string{"192.168.1.21", "192.168.1.0"}},
		{"192.168.0.{1,2,3}", []string{"192.168.0.2"}, []string{"192.168.0.4"}},
		{"127.0.0.1,10.0.0.1", []string{"127.0.0.1", "10.0.0.1", "::ffff:127.0.0.1"}, []string{"10.0.0.2"}},
		{"::1", []string{"::1"}, []string{"127.0.0.1"}},
		{"", nil, []string{"127.0.0.1"}},
	} {
		p, err := acl.ParseAddrPattern(tc.pattern)
		if err != nil {
			t.Errorf("%q: %v", tc.pattern, err)
			continue
		}
		for _, s := range tc.match {
			if !p.Match(netip.MustParseAddr(s)) {
				t.Errorf("%q does not match %s", tc.pattern, s)
			}
		}
		for _, s := range tc.miss {
			if p.Match(netip.MustParseAddr(s)) {
				t.Errorf("%q matches %s", tc.pattern, s)
			}
		}
	}
	every, _ := acl.ParseAddrPattern("*.*.*.*")
	one, _ := acl.ParseAddrPattern("127.0.0.1")
	if !every.Match(netip.Addr{}) || one.Match(netip.Addr{}) {
		t.Error("an unknown remote address: * must match it, nothing else")
	}
	for _, bad := range []string{"1.2.3.4.5", "1.2.3", "1.2.3.x", "1.2.3.20-1", "1.2.3.256", "1.2.{3}.4", "fe80::zz"} {
		if _, err := acl.ParseAddrPattern(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheck(t *testing.T) {
	a := mustParse(t, sampleYAML)
	const ak, sk = "RocketMQ", "12345678"
	for _, tc := range []struct {
		name   string
		remote string
		req    *remoting.Command
		want   string // "" = allowed, else a part of the refusal
	}{
		{"pub on PUB|SUB topic", "", signed(remoting.SendMessageV2, ak, sk, []byte("x"), "a", "pg", "b", "topicB"), ""},
		{"pub on DENY topic", "", signed(remoting.SendMessage, ak, sk, nil, "topic", "topicA"), "account RocketMQ has no PUB on topic topicA"},
		{"pub on SUB topic", "", signed(remoting.SendBatchMessage, ak, sk, nil, "b", "topicC"), "has no PUB on topic topicC"},
		{"pub on unlisted topic", "", signed(remoting.SendMessage, ak, sk, nil, "topic", "other"), "has no PUB on topic other"},
		{"pull SUB topic, default group", "", signed(remoting.PullMessage, ak, sk, nil, "topic", "topicC", "consumerGroup", "g"), ""},
		{"pull DENY group", "", signed(remoting.PullMessage, ak, sk, nil, "topic", "topicC", "consumerGroup", "groupA"), "has no SUB on group groupA"},
		{"pull retry topic of DENY group", "", signed(remoting.PullMessage, ak, sk, nil, "topic", "%RETRY%groupA", "consumerGroup", "groupB"), "has no SUB on group groupA"},
		{"pull DLQ of DENY group", "", signed(remoting.PullMessage, ak, sk, nil, "topic", "%DLQ%groupA", "consumerGroup", "groupB"), "has no SUB on group groupA"},
		{"send back", "", signed(remoting.ConsumerSendMsgBack, ak, sk, nil, "group", "groupA", "originTopic", "topicB"), "has no SUB on group groupA"},
		{"offset", "", signed(remoting.UpdateConsumerOffset, ak, sk, nil, "topic", "topicA", "consumerGroup", "groupB"), "has no SUB on topic topicA"},
		{"heartbeat", "", signed(remoting.HeartBeat, ak, sk,
			[]byte(`{"clientID":"c","consumerDataSet":[{"groupName":"groupB","subscriptionDataSet":[{"topic":"topicC"},{"topic":"topicA"}]}]}`)),
			"has no SUB on topic topicA"},
		{"heartbeat allowed", "", signed(remoting.HeartBeat, ak, sk,
			[]byte(`{"clientID":"c","consumerDataSet":[{"groupName":"groupB","subscriptionDataSet":[{"topic":"topicC"},{"topic":"%RETRY%groupB"}]}]}`)), ""},
		{"heartbeat not json", "", signed(remoting.HeartBeat, ak, sk, []byte("{")), "heartbeat body"},
		{"admin code", "", signed(remoting.UpdateAndCreateTopic, ak, sk, nil, "topic", "topicB"), "UPDATE_AND_CREATE_TOPIC needs an admin account; account RocketMQ is not admin"},
		{"admin account", "", signed(remoting.DeleteTopicInBroker, "rocketmq2", "87654321", nil, "topic", "x"), ""},
		{"wrong secret", "", signed(remoting.SendMessage, ak, "wrong-secret", nil, "topic", "topicB"), "signature mismatch for access key RocketMQ"},
		{"unknown key", "", signed(remoting.SendMessage, "nobody-here", sk, nil, "topic", "topicB"), "access key nobody-here unknown"},
		{"unsigned", "", signed(remoting.SendMessage, "", "", nil, "topic", "topicB"), "not signed"},
		{"unsigned, global white list", "192.168.0.2", signed(remoting.SendMessage, "", "", nil, "topic", "topicA"), ""},
		{"bad signature, account white list", "192.168.1.7", signed(remoting.UpdateAndCreateTopic, "rocketmq2", "wrong-one", nil), ""},
		{"route request unsigned", "", signed(remoting.GetRouteInfoByTopic, "", "", nil, "topic", "topicA"), ""},
		{"other code needs the signature", "", signed(remoting.GetMaxOffset, ak, "wrong-secret", nil, "topic", "topicA"), "signature mismatch"},
	} {
		remote := outside
		if tc.remote != "" {
			remote = netip.MustParseAddr(tc.remote)
		}
		err := a.Check(remote, tc.req)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: allowed, want %q", tc.name, tc.want)
		case tc.want != "":
			var d *acl.Denied
			if !errors.As(err, &d) || !strings.HasPrefix(err.Error(), "No permission: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want a *Denied with %q", tc.name, err, tc.want)
			}
		}
	}
}

// Tampering with any signed field, the body, or the access key fails the
// signature check.
func TestSignatureCoversFieldsAndBody(t *testing.T) {
	a := mustParse(t, "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n    defaultTopicPerm: PUB|SUB\n")
	req := signed(remoting.SendMessage, "account1", "12345678", []byte("body"), "topic", "t1", "queueId", "1")
	if err := a.Check(outside, req); err != nil {
		t.Fatalf("signed request refused: %v", err)
	}
	body := clone(req)
	body.Body = []byte("bodY")
	field := clone(req)
	field.ExtFields.Set("queueId", "2")
	added := clone(req)
	added.ExtFields.Set("extra", "x")
	for name, r := range map[string]*remoting.Command{"body": body, "field": field, "added field": added} {
		if err := a.Check(outside, r); err == nil || !strings.Contains(err.Error(), "signature mismatch") {
			t.Errorf("%s changed: %v, want a signature mismatch", name, err)
		}
	}
	// _UNIQUE_KEY_QUERY is set after signing (Java) or signed (Go client).
	after := clone(req)
	after.ExtFields.Set("_UNIQUE_KEY_QUERY", "true")
	if err := a.Check(outside, after); err != nil {
		t.Errorf("_UNIQUE_KEY_QUERY added after signing: %v", err)
	}
	inside := signed(remoting.QueryMessage, "account1", "12345678", nil, "topic", "t1", "_UNIQUE_KEY_QUERY", "true")
	inside.ExtFields.Set(acl.FieldSignature, signAll(inside.ExtFields, inside.Body, "12345678"))
	if err := a.Check(outside, inside); err != nil {
		t.Errorf("_UNIQUE_KEY_QUERY signed: %v", err)
	}
}

func clone(c *remoting.Command) *remoting.Command {
	cp := *c
	cp.ExtFields = c.ExtFields.Clone()
	cp.Body = bytes.Clone(c.Body)
	return &cp
}

// signAll signs every field but Signature, as the official Go client does.
func signAll(fields remoting.Fields, body []byte, sk string) string {
	fs := slices.Clone(fields)
	slices.SortFunc(fs, func(a, b remoting.Field) int { return strings.Compare(a.Key, b.Key) })
	mac := hmac.New(sha1.New, []byte(sk))
	for _, f := range fs {
		if f.Key != acl.FieldSignature {
			mac.Write([]byte(f.Value))
		}
	}
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestPerm(t *testing.T) {
	for _, tc := range []struct {
		owned, need acl.Perm
		ok          bool
	}{
		{acl.Pub | acl.Sub, acl.Pub, true},
		{acl.Sub, acl.Pub, false},
		{acl.Deny, acl.Sub, false},
		{acl.Deny | acl.Sub, acl.Sub, false},
		{acl.Pub, acl.Pub, true},
	} {
		if got := tc.owned.Allows(tc.need); got != tc.ok {
			t.Errorf("%v allows %v = %v", tc.owned, tc.need, got)
		}
	}
	if p, err := acl.ParsePerm(" SUB|PUB "); err != nil || p != acl.Pub|acl.Sub || p.String() != "PUB|SUB" {
		t.Errorf("ParsePerm(SUB|PUB) = %v, %v", p, err)
	}
}
