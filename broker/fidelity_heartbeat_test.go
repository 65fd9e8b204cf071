package broker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// cppHeader is a request header as rocketmq-client-cpp writes it
// (RemotingCommand::Encode: jsoncpp's FastWriter, keys sorted, a trailing
// newline; the session credential keys always present in extFields).
func cppHeader(code int16, ext map[string]string) string {
	if ext == nil {
		ext = map[string]string{}
	}
	for _, k := range []string{"AccessKey", "OnsChannel", "Signature"} {
		if _, ok := ext[k]; !ok {
			ext[k] = ""
		}
	}
	e, _ := json.Marshal(ext) // encoding/json sorts map keys, as jsoncpp does
	return fmt.Sprintf(`{"code":%d,"extFields":%s,"flag":0,"language":"CPP","opaque":$OPAQUE,"remark":"","version":0}`+"\n", code, e)
}

// cppConsumer is one consumerDataSet entry as HeartbeatData::Encode writes
// it: enums as ordinals, subVersion as a string, a tag subscription with
// tagsSet and codeSet, and the push consumer's own retry topic.
func cppConsumer(group string, consumeType, model, from int, topic, tag string) string {
	v := strconv.FormatInt(time.Now().UnixMilli(), 10)
	return fmt.Sprintf(`{"consumeFromWhere":%d,"consumeType":%d,"groupName":%q,"messageModel":%d,"subscriptionDataSet":[`+
		`{"codeSet":[%d],"subString":%q,"subVersion":%q,"tagsSet":[%q],"topic":%q},`+
		`{"subString":"*","subVersion":%q,"topic":%q}]}`,
		from, consumeType, group, model, message.TagsHashCode(tag), tag, v, tag, topic, v, message.RetryTopic(group))
}

// cppHeartbeat is a HEART_BEAT body as HeartbeatData::Encode writes it.
func cppHeartbeat(clientID string, consumers []string, producers ...string) []byte {
	var ps []string
	for _, p := range producers {
		ps = append(ps, fmt.Sprintf(`{"groupName":%q}`, p))
	}
	return fmt.Appendf(nil, `{"clientID":%q,"consumerDataSet":[%s],"producerDataSet":[%s]}`+"\n",
		clientID, strings.Join(consumers, ","), strings.Join(ps, ","))
}

// A heartbeat shaped exactly as the C++ client family sends it registers
// its consumer with the enum names the ordinals stand for; the group's
// member list names it (the client allocates queues from that list), and
// pulls it makes the C++ way are filtered by the tag it registered.
func TestCppHeartbeatRegistersConsumer(t *testing.T) {
	b := brokertest.Start(t)
	topic, group := uniqueName("t_cpp"), uniqueName("g_cpp")
	clientID := "10.0.0.7@12345#cpp"
	p := startProducer(t, b)
	var wantA []string
	for i := range 8 {
		tag := "TagB"
		if i%2 == 0 {
			tag = "TagA"
			wantA = append(wantA, fmt.Sprintf("m%d", i))
		}
		sendSync(t, p, primitive.NewMessage(topic, fmt.Appendf(nil, "m%d", i)).WithTag(tag))
	}

	rc := dialRaw(t, b.Addr())
	// CONSUME_PASSIVELY (1), CLUSTERING (1), CONSUME_FROM_FIRST_OFFSET (4).
	hb := cppHeartbeat(clientID, []string{cppConsumer(group, 1, 1, 4, topic, "TagA")}, "CLIENT_INNER_PRODUCER")
	if resp := rc.callJSON(t, cppHeader(remoting.HeartBeat, nil), hb); resp.Code != remoting.Success {
		t.Fatalf("C++ heartbeat: code %d (%s), want SUCCESS", resp.Code, resp.Remark)
	}

	members := b.GroupMembers(group)
	if len(members) != 1 {
		t.Fatalf("group %s has members %+v, want the C++ client", group, members)
	}
	m := members[0]
	if m.ClientID != clientID || m.ConsumeType != "CONSUME_PASSIVELY" || m.Model != broker.ModelClustering ||
		m.ConsumeFromWhere != "CONSUME_FROM_FIRST_OFFSET" {
		t.Fatalf("registered %+v, want %s CONSUME_PASSIVELY CLUSTERING CONSUME_FROM_FIRST_OFFSET", m, clientID)
	}
	i := slices.IndexFunc(m.Subscriptions, func(s broker.Subscription) bool { return s.Topic == topic })
	if i < 0 || m.Subscriptions[i].Expression != "TagA" || m.Subscriptions[i].SubVersion < 1e12 {
		t.Fatalf("subscriptions %+v, want %s TagA with the string subVersion read", m.Subscriptions, topic)
	}

	resp := rc.callJSON(t, cppHeader(remoting.GetConsumerListByGroup, map[string]string{"consumerGroup": group}), nil)
	var list struct {
		IDs []string `json:"consumerIdList"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil || !slices.Equal(list.IDs, []string{clientID}) {
		t.Fatalf("consumer list %s (%v), want [%s]: the only member is given every queue", resp.Body, err, clientID)
	}

	// The C++ client pulls with string values and without the subscription
	// flag: the broker filters by the registered TagA.
	var got []string
	for q := range expectRoute(t, rc, topic) {
		for next := "0"; ; {
			resp := rc.callJSON(t, cppHeader(remoting.PullMessage, map[string]string{
				"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(q), "queueOffset": next,
				"maxMsgNums": "32", "sysFlag": "0", "commitOffset": "0", "suspendTimeoutMillis": "0",
				"subscription": "TagA", "subVersion": "0"}), nil)
			if resp.Code == remoting.PullNotFound {
				break
			}
			if resp.Code != remoting.Success && resp.Code != remoting.PullRetryImmediately {
				t.Fatalf("pull queue %d at %s: code %d (%s)", q, next, resp.Code, resp.Remark)
			}
			next = resp.ExtFields.Get("nextBeginOffset")
			if resp.Code == remoting.PullRetryImmediately {
				continue
			}
			msgs, err := message.DecodeAll(resp.Body, true)
			if err != nil {
				t.Fatalf("pull queue %d: %v", q, err)
			}
			for _, m := range msgs {
				if m.Tags() != "TagA" {
					t.Fatalf("the registered TagA filter let %s %q through", m.Tags(), m.Body)
				}
				got = append(got, string(m.Body))
			}
		}
	}
	if !slices.Equal(sortedCopy(got), sortedCopy(wantA)) {
		t.Fatalf("the C++ consumer pulled %q, want the TagA messages %q", got, wantA)
	}
}

// Every ordinal maps to the Java enum name of that position, the names
// themselves are still read, and an ordinal past the enum fails the
// heartbeat (fastjson cannot map it either) without closing the connection.
func TestCppHeartbeatEnumOrdinals(t *testing.T) {
	b := brokertest.Start(t)
	rc := dialRaw(t, b.Addr())
	tests := []struct {
		consumeType, model, from int
		want                     [3]string
	}{
		{0, 0, 0, [3]string{"CONSUME_ACTIVELY", "BROADCASTING", "CONSUME_FROM_LAST_OFFSET"}},
		{1, 1, 5, [3]string{"CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_TIMESTAMP"}},
		{2, 1, 3, [3]string{"CONSUME_POP", "CLUSTERING", "CONSUME_FROM_MAX_OFFSET"}},
	}
	for i, tt := range tests {
		group := uniqueName("g_ord")
		hb := cppHeartbeat(fmt.Sprintf("cpp-%d", i), []string{cppConsumer(group, tt.consumeType, tt.model, tt.from, "t_ord", "*")})
		if resp := rc.callJSON(t, cppHeader(remoting.HeartBeat, nil), hb); resp.Code != remoting.Success {
			t.Fatalf("heartbeat %d: code %d (%s)", i, resp.Code, resp.Remark)
		}
		m := b.GroupMembers(group)
		if len(m) != 1 || [3]string{m[0].ConsumeType, m[0].Model, m[0].ConsumeFromWhere} != tt.want {
			t.Fatalf("ordinals %d/%d/%d registered as %+v, want %v", tt.consumeType, tt.model, tt.from, m, tt.want)
		}
	}

	group := uniqueName("g_names")
	named := fmt.Sprintf(`{"clientID":"java-1","consumerDataSet":[{"groupName":%q,"consumeType":"CONSUME_PASSIVELY",`+
		`"messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":`+
		`[{"topic":"t_ord","subString":"*","subVersion":1700000000000}]}]}`, group)
	if resp := rc.callJSON(t, cppHeader(remoting.HeartBeat, nil), []byte(named)); resp.Code != remoting.Success {
		t.Fatalf("named heartbeat: code %d (%s)", resp.Code, resp.Remark)
	}
	if m := b.GroupMembers(group); len(m) != 1 || m[0].ConsumeType != "CONSUME_PASSIVELY" || m[0].Subscriptions[0].SubVersion != 1700000000000 {
		t.Fatalf("named heartbeat registered %+v", m)
	}

	bad := cppHeartbeat("cpp-bad", []string{cppConsumer(uniqueName("g_bad"), 1, 2, 0, "t_ord", "*")})
	resp := rc.callJSON(t, cppHeader(remoting.HeartBeat, nil), bad)
	if resp.Code != remoting.SystemError || !strings.Contains(resp.Remark, "messageModel") {
		t.Fatalf("messageModel 2: code %d (%s), want SYSTEM_ERROR naming messageModel", resp.Code, resp.Remark)
	}
	expectRoute(t, rc, "t_ord")
}

// One consumer or producer group with an illegal name does not refuse the
// heartbeat: that group is skipped and the others are registered, as Java
// does.
func TestHeartbeatSkipsIllegalGroup(t *testing.T) {
	b := brokertest.Start(t)
	rc := dialRaw(t, b.Addr())
	good1, good2 := uniqueName("g_ok1"), uniqueName("g_ok2")
	illegal := []string{"bad group!", strings.Repeat("g", message.MaxGroupLength+1), ""}
	consumers := []string{cppConsumer(good1, 1, 1, 0, "t_skip", "*")}
	for _, g := range illegal {
		consumers = append(consumers, cppConsumer(g, 1, 1, 0, "t_skip", "*"))
	}
	consumers = append(consumers, cppConsumer(good2, 1, 1, 0, "t_skip", "*"))
	hb := cppHeartbeat("cpp-skip", consumers, "bad producer!", uniqueName("pg_ok"))
	resp := rc.callJSON(t, cppHeader(remoting.HeartBeat, nil), hb)
	if resp.Code != remoting.Success {
		t.Fatalf("heartbeat with illegal groups: code %d (%s), want SUCCESS", resp.Code, resp.Remark)
	}
	for _, g := range []string{good1, good2} {
		if m := b.GroupMembers(g); len(m) != 1 || m[0].ClientID != "cpp-skip" {
			t.Errorf("legal group %s has members %+v, want cpp-skip", g, m)
		}
	}
	for _, g := range illegal {
		if m := b.GroupMembers(g); len(m) != 0 {
			t.Errorf("illegal group %q registered: %+v", clipText(g), m)
		}
	}
	for _, topic := range topicListAll(t, rc) {
		if strings.Contains(topic, "bad") || len(topic) > message.MaxSystemTopicLength {
			t.Errorf("a retry topic %q was created for an illegal group", clipText(topic))
		}
	}
}

// topicListAll is GET_ALL_TOPIC_LIST_FROM_NAMESERVER with every topic.
func topicListAll(t testing.TB, c *rawConn) []string {
	t.Helper()
	resp := c.mustCall(t, remoting.GetAllTopicListFromNameServer, nil, nil)
	var list struct {
		Topics []string `json:"topicList"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		t.Fatalf("topic list %s: %v", resp.Body, err)
	}
	return list.Topics
}
