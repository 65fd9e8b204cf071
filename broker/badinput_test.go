package broker_test

// Bad input: malformed frames, unknown request codes, illegal names and
// oversized or out-of-range requests. Each case checks the answer (or that
// only the offending connection was closed) and then that the log is still
// intact: every acknowledged message is read back exactly once, with a good
// CRC, and a consumer of a new group receives all of them.

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A malformed or oversized frame closes that connection only: a connection
// opened before it and the official producer keep working, and nothing
// reaches the log.
func TestMalformedFrameClosesOnlyThatConnection(t *testing.T) {
	b := brokertest.Start(t)
	maxFrame := b.Config().MaxFrameSize
	topic := uniqueName("t_malformed")
	p := startProducer(t, b)
	acked := []string{"before"}
	sendSync(t, p, primitive.NewMessage(topic, []byte("before")))

	bystander := dialRaw(t, b.Addr())
	expectRoute(t, bystander, topic)

	valid := remoting.AppendFrame(nil, &remoting.Command{Code: remoting.GetRouteInfoByTopic, Language: "GO",
		Version: remoting.Version, Opaque: 1, ExtFields: remoting.Fields{{Key: "topic", Value: topic}}})
	tests := []struct {
		name  string
		frame []byte
		// halfClose shuts our write side after the frame, so a frame cut
		// short ends the stream mid-frame.
		halfClose bool
	}{
		{name: "bad JSON header", frame: rawFrame(remoting.SerializeJSON, []byte(`{"code":105,"opaque":1,"extFields":{"topic"`), nil)},
		{name: "header is not a JSON object", frame: rawFrame(remoting.SerializeJSON, []byte(`[105,1]`), nil)},
		{name: "extFields value is not JSON", frame: rawFrame(remoting.SerializeJSON,
			[]byte(`{"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"topic":07}}`), nil)},
		{name: "header length beyond the frame", frame: be32(4+10, []byte{remoting.SerializeJSON, 0, 0x03, 0xe8}, []byte(`{"code":10}`)[:10])},
		{name: "length shorter than the header-length word", frame: be32(2, []byte{0, 0})},
		{name: "negative length prefix (-1)", frame: be32(0xFFFFFFFF, []byte("junk"))},
		{name: "negative length prefix (MinInt32)", frame: be32(0x80000000)},
		{name: "length just above the max frame", frame: be32(uint32(maxFrame) + 1)},
		{name: "length above the max frame, payload following", frame: be32(uint32(maxFrame)+1, make([]byte, 64<<10))},
		{name: "unknown serialize type", frame: rawFrame(7, []byte(`{"code":105}`), nil)},
		{name: "binary header cut short", frame: rawFrame(remoting.SerializeRocketMQ, []byte{0, 105, 9}, nil)},
		{name: "frame cut short", frame: valid[:len(valid)/2], halfClose: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := dialRaw(t, b.Addr())
			if err := bad.write(tt.frame); err != nil {
				t.Logf("write was refused already: %v", err) // the broker may close first
			}
			if tt.halfClose {
				if err := bad.nc.(*net.TCPConn).CloseWrite(); err != nil {
					t.Fatalf("half-close: %v", err)
				}
			}
			if err := bad.expectClosed(); err != nil {
				t.Fatalf("connection after a %s: %v", tt.name, err)
			}

			// The connection opened before, and the producer, still work.
			expectRoute(t, bystander, topic)
			body := fmt.Sprintf("after-%02d", i)
			sendSync(t, p, primitive.NewMessage(topic, []byte(body)))
			acked = append(acked, body)
			assertLogIntact(t, b, topic, acked)
		})
	}
}

// An unknown request code is answered REQUEST_CODE_NOT_SUPPORTED with the
// request's opaque, and the connection stays usable.
func TestUnknownRequestCodeKeepsConnection(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_unknown")
	p := startProducer(t, b)
	acked := []string{"before"}
	sendSync(t, p, primitive.NewMessage(topic, []byte("before")))

	rc := dialRaw(t, b.Addr())
	tests := []struct {
		name string
		code int16
	}{
		{name: "9999", code: 9999},
		{name: "0", code: 0},
		{name: "negative", code: -1},
		{name: "MaxInt16", code: 32767},
		{name: "1023", code: 1023},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := rc.call(tt.code, remoting.Fields{{Key: "topic", Value: topic}}, []byte("payload"))
			if err != nil {
				t.Fatalf("request code %d: %v", tt.code, err)
			}
			if resp.Code != remoting.RequestCodeNotSupported {
				t.Errorf("request code %d: response code %d (%s), want %d REQUEST_CODE_NOT_SUPPORTED",
					tt.code, resp.Code, resp.Remark, remoting.RequestCodeNotSupported)
			}
			if resp.Opaque != rc.opaque {
				t.Errorf("response opaque %d, want the request's %d", resp.Opaque, rc.opaque)
			}
			if !strings.Contains(resp.Remark, "not supported") {
				t.Errorf("remark %q does not say the code is not supported", resp.Remark)
			}
			t.Logf("remark: %s", resp.Remark)

			// Same connection, valid request.
			expectRoute(t, rc, topic)
			body := fmt.Sprintf("after-%02d", i)
			sendSync(t, p, primitive.NewMessage(topic, []byte(body)))
			acked = append(acked, body)
			assertLogIntact(t, b, topic, acked)
		})
	}
}

// Illegal topic names sent through the official producer fail with an
// error that says what is wrong, and create nothing.
func TestIllegalTopicNamesAreRefused(t *testing.T) {
	b := brokertest.Start(t)
	good := uniqueName("t_legal")
	p := startProducer(t, b)
	acked := []string{"before"}
	sendSync(t, p, primitive.NewMessage(good, []byte("before")))
	rc := dialRaw(t, b.Addr())
	topicsBefore := topicList(t, rc)

	tests := []struct {
		name  string
		topic string
		// wantErr are substrings the error must contain, any one of each
		// inner list.
		wantErr [][]string
	}{
		{name: "space", topic: "bad topic", wantErr: [][]string{{"topic"}, {"is not in", "illegal"}}},
		{name: "slash", topic: "a/b", wantErr: [][]string{{"topic"}, {"is not in", "illegal"}}},
		{name: "dot", topic: "a.b", wantErr: [][]string{{"topic"}, {"is not in", "illegal"}}},
		{name: "non-ASCII", topic: "tópico", wantErr: [][]string{{"topic"}, {"is not in", "illegal"}}},
		{name: "200 characters", topic: strings.Repeat("t", 200), wantErr: [][]string{{"topic"}, {"200"}, {"127"}}},
		{name: "128 characters", topic: strings.Repeat("u", 128), wantErr: [][]string{{"topic"}, {"128"}, {"127"}}},
		{name: "empty", topic: "", wantErr: [][]string{{"topic"}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			start := time.Now()
			res, err := p.SendSync(ctx, primitive.NewMessage(tt.topic, []byte("illegal")))
			t.Logf("refused after %v: %v", time.Since(start).Round(time.Millisecond), err)
			if err == nil {
				t.Fatalf("send to %q succeeded (%v), want an error", clipText(tt.topic), res)
			}
			for _, any := range tt.wantErr {
				if !slices.ContainsFunc(any, func(s string) bool { return strings.Contains(err.Error(), s) }) {
					t.Errorf("error %q mentions none of %q", err, any)
				}
			}
			if tt.topic != "" {
				resp := rc.mustCall(t, remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: tt.topic}}, nil)
				if resp.Code != remoting.TopicNotExist {
					t.Errorf("route of %q: code %d (%s), want %d TOPIC_NOT_EXIST", clipText(tt.topic), resp.Code, resp.Remark, remoting.TopicNotExist)
				}
			}
			if got := topicList(t, rc); !slices.Equal(got, topicsBefore) {
				t.Errorf("topic list changed from %q to %q", topicsBefore, got)
			}

			body := fmt.Sprintf("after-%02d", i)
			sendSync(t, p, primitive.NewMessage(good, []byte(body)))
			acked = append(acked, body)
			assertLogIntact(t, b, good, acked)
		})
	}
}

// Raw SEND_MESSAGE requests over the limits or to a queue that does not
// exist are refused with the documented code and a remark naming the
// limit; requests at the limits are stored.
func TestBadInputSendIsRefused(t *testing.T) {
	const maxBody = 64 << 10
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.MaxMessageSize = maxBody }))
	topic := uniqueName("t_badsend")
	p := startProducer(t, b)
	acked := []string{"before"}
	sendSync(t, p, primitive.NewMessage(topic, []byte("before"))) // creates the topic, 4 queues
	rc := dialRaw(t, b.Addr())

	atLimit := "at-limit-" + strings.Repeat("x", maxBody-len("at-limit-"))
	tests := []struct {
		name     string
		body     string
		props    string
		queueID  string
		wantCode int16
		// wantRemark are substrings of the remark.
		wantRemark []string
	}{
		{name: "body at MaxMessageSize", body: atLimit, wantCode: remoting.Success},
		{name: "body over MaxMessageSize", body: strings.Repeat("y", maxBody+1), wantCode: remoting.MessageIllegal,
			wantRemark: []string{strconv.Itoa(maxBody + 1), strconv.Itoa(maxBody)}},
		{name: "body far over MaxMessageSize", body: strings.Repeat("z", 4*maxBody), wantCode: remoting.MessageIllegal,
			wantRemark: []string{strconv.Itoa(maxBody)}},
		{name: "properties over 32767 bytes", body: "big-props", props: propsOfSize(32768), wantCode: remoting.MessageIllegal,
			wantRemark: []string{"32768", "32767"}},
		{name: "properties far over 32767 bytes", body: "huge-props", props: propsOfSize(200 << 10), wantCode: remoting.MessageIllegal,
			wantRemark: []string{"32767"}},
		{name: "queueId = queue count", body: "q4", queueID: "4", wantCode: remoting.InvalidParameter,
			wantRemark: []string{"queueId", "4"}},
		{name: "queueId far out of range", body: "q1000", queueID: "1000", wantCode: remoting.InvalidParameter,
			wantRemark: []string{"queueId", "1000"}},
		{name: "queueId MaxInt32", body: "qmax", queueID: "2147483647", wantCode: remoting.InvalidParameter,
			wantRemark: []string{"queueId"}},
		{name: "queueId not a number", body: "qnan", queueID: "two", wantCode: remoting.InvalidParameter,
			wantRemark: []string{"queueId"}},
		{name: "queueId beyond int32", body: "qbig", queueID: "4294967296", wantCode: remoting.InvalidParameter,
			wantRemark: []string{"queueId"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queueID := tt.queueID
			if queueID == "" {
				queueID = "1"
			}
			resp := rc.mustCall(t, remoting.SendMessage, sendFields(topic, queueID, tt.props), []byte(tt.body))
			if resp.Code != tt.wantCode {
				t.Errorf("response code %d (%s), want %d", resp.Code, clipText(resp.Remark), tt.wantCode)
			}
			for _, s := range tt.wantRemark {
				if !strings.Contains(resp.Remark, s) {
					t.Errorf("remark %q does not mention %q", resp.Remark, s)
				}
			}
			if resp.Remark != "" {
				t.Logf("remark: %s", resp.Remark)
			}
			if resp.Code == remoting.Success {
				acked = append(acked, tt.body)
			}

			body := fmt.Sprintf("after-%02d", i)
			sendSync(t, p, primitive.NewMessage(topic, []byte(body)))
			acked = append(acked, body)
			assertLogIntact(t, b, topic, acked)
		})
	}
}

// A PULL for a topic that does not exist is answered TOPIC_NOT_EXIST (and
// creates nothing); one for a queue that does not exist INVALID_PARAMETER.
func TestBadInputPullIsRefused(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_badpull")
	p := startProducer(t, b)
	acked := []string{"before"}
	sendSync(t, p, primitive.NewMessage(topic, []byte("before")))
	rc := dialRaw(t, b.Addr())
	topicsBefore := topicList(t, rc)

	tests := []struct {
		name     string
		topic    string
		queueID  int32
		offset   int64
		wantCode []int16
	}{
		{name: "unknown topic", topic: uniqueName("t_nobody"), wantCode: []int16{remoting.TopicNotExist}},
		{name: "illegal topic name", topic: "no such/topic", wantCode: []int16{remoting.TopicNotExist}},
		{name: "empty topic", topic: "", wantCode: []int16{remoting.TopicNotExist}},
		{name: "queueId out of range", topic: topic, queueID: 4, wantCode: []int16{remoting.InvalidParameter}},
		{name: "negative queueId", topic: topic, queueID: -1, wantCode: []int16{remoting.InvalidParameter}},
		{name: "negative queueOffset", topic: topic, offset: -5,
			wantCode: []int16{remoting.PullOffsetMoved, remoting.InvalidParameter, remoting.PullNotFound}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := rc.mustCall(t, remoting.PullMessage, pullFields("g_badpull", tt.topic, tt.queueID, tt.offset, 32, 0), nil)
			if !slices.Contains(tt.wantCode, resp.Code) {
				t.Errorf("response code %d (%s), want one of %v", resp.Code, resp.Remark, tt.wantCode)
			}
			if resp.Code != remoting.Success && len(resp.Body) > 0 {
				t.Errorf("error answer carries a %d-byte body", len(resp.Body))
			}
			t.Logf("code %d, remark %q", resp.Code, resp.Remark)
			if got := topicList(t, rc); !slices.Equal(got, topicsBefore) {
				t.Errorf("topic list changed from %q to %q", topicsBefore, got)
			}

			body := fmt.Sprintf("after-%02d", i)
			sendSync(t, p, primitive.NewMessage(topic, []byte(body)))
			acked = append(acked, body)
			assertLogIntact(t, b, topic, acked)
		})
	}
}

// A message whose properties are within the 32767-byte limit as sent, but
// exceed it once the broker adds UNIQ_KEY and CLUSTER, must be answered
// (stored, or refused with MESSAGE_ILLEGAL) without taking the broker down.
// The broker runs as a child process (the rocketkit binary) so that a crash
// fails this test only.
func TestBadInputPropertiesNearLimitDoNotCrashBroker(t *testing.T) {
	bin := buildRocketkit(t)
	tests := []struct {
		name  string
		props string // as sent; UNIQ_KEY included or not
	}{
		{name: "exactly 32767 bytes with UNIQ_KEY", props: propsWithUniqKey(32767)},
		{name: "32767 bytes without UNIQ_KEY", props: propsOfSize(32767)},
		{name: "32750 bytes with UNIQ_KEY", props: propsWithUniqKey(32750)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			child := startChildBroker(t, bin, "--listen", "127.0.0.1:0", "--data", t.TempDir())
			topic := uniqueName("t_props")
			rc := dialRaw(t, child.addr)
			expectRoute(t, rc, topic)
			if resp := rc.mustCall(t, remoting.SendMessage, sendFields(topic, "0", ""), []byte("first")); resp.Code != remoting.Success {
				t.Fatalf("plain send: code %d (%s)", resp.Code, resp.Remark)
			}

			resp, err := rc.call(remoting.SendMessage, sendFields(topic, "0", tt.props), []byte("near-limit"))
			if err != nil {
				<-child.exitedWithin(5 * time.Second)
				t.Fatalf("send with %d bytes of properties: no answer (%v); broker alive: %v; its stderr:\n%s",
					len(tt.props), err, child.alive(), headLines(child.stderr.String(), 12))
			}
			switch resp.Code {
			case remoting.Success, remoting.MessageIllegal:
				t.Logf("answered %d, remark %q", resp.Code, resp.Remark)
			default:
				t.Errorf("send with %d bytes of properties: code %d (%s), want SUCCESS or MESSAGE_ILLEGAL",
					len(tt.props), resp.Code, resp.Remark)
			}
			// The broker is alive and serves what was acknowledged.
			if resp := rc.mustCall(t, remoting.SendMessage, sendFields(topic, "0", ""), []byte("last")); resp.Code != remoting.Success {
				t.Fatalf("send after: code %d (%s)", resp.Code, resp.Remark)
			}
			want := []string{"first", "last"}
			if resp.Code == remoting.Success {
				want = []string{"first", "near-limit", "last"}
			}
			got := bodiesOf(readLog(t, rc, topic))
			if !slices.Equal(sortedCopy(got), sortedCopy(want)) {
				t.Errorf("log holds %q, want %q", got, want)
			}
		})
	}

	// Any user of the official client can do the same with one large
	// property.
	t.Run("official producer, properties 5 bytes under the limit", func(t *testing.T) {
		child := startChildBroker(t, bin, "--listen", "127.0.0.1:0", "--data", t.TempDir())
		topic := uniqueName("t_props")
		p := startProducerAt(t, child.addr)
		probe := primitive.NewMessage(topic, []byte("first"))
		probe.WithProperty("pad", "p")
		sendSync(t, p, probe)
		rc := dialRaw(t, child.addr)
		// What the client sent: the stored properties without CLUSTER.
		sent := len(message.DeleteProperties(readLog(t, rc, topic)[0].Properties, message.PropertyCluster))
		const size = 32767 - 5
		big := primitive.NewMessage(topic, []byte("near-limit"))
		big.WithProperty("pad", strings.Repeat("p", size-sent+1))

		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		res, err := p.SendSync(ctx, big)
		t.Logf("send with %d bytes of properties: %v, %v", size, res, err)
		if _, err := rc.call(remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: topic}}, nil); err != nil {
			<-child.exitedWithin(5 * time.Second)
			t.Fatalf("broker gone after a send with %d bytes of properties (%v); alive: %v; its stderr:\n%s",
				size, err, child.alive(), headLines(child.stderr.String(), 12))
		}
		if err != nil && !strings.Contains(err.Error(), "propert") {
			t.Errorf("send refused with %q, which does not say the properties are too large", err)
		}
	})
}

// --- raw protocol helpers -------------------------------------------------

// rawTimeout bounds each raw read or write; it only turns a hang into a
// failure, nothing is timed against it.
const rawTimeout = 10 * time.Second

// rawConn is a remoting connection driven by hand, for requests the
// official client cannot make. It is used by one goroutine.
type rawConn struct {
	nc     net.Conn
	r      *bufio.Reader
	opaque int32 // of the last request
	// language is the requests' language field: "GO" unless set (a Java
	// client writes "JAVA").
	language string
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return newRawConn(t, nc)
}

// newRawConn drives nc by hand and closes it when the test ends.
func newRawConn(t testing.TB, nc net.Conn) *rawConn {
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}
}

func (c *rawConn) write(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(rawTimeout))
	_, err := c.nc.Write(b)
	return err
}

// call sends a request and returns the response with its opaque, skipping
// requests the broker sends on its own.
func (c *rawConn) call(code int16, fields remoting.Fields, body []byte) (*remoting.Command, error) {
	c.opaque++
	lang := c.language
	if lang == "" {
		lang = "GO"
	}
	req := &remoting.Command{Code: code, Language: lang, Version: remoting.Version, Opaque: c.opaque,
		ExtFields: fields, Body: body}
	if err := c.write(remoting.AppendFrame(nil, req)); err != nil {
		return nil, fmt.Errorf("write %s: %w", remoting.RequestName(code), err)
	}
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(rawTimeout))
		resp, err := remoting.ReadCommand(c.r, 256<<20)
		if err != nil {
			return nil, fmt.Errorf("read the answer to %s: %w", remoting.RequestName(code), err)
		}
		if !resp.IsResponse() {
			continue
		}
		if resp.Opaque != req.Opaque {
			return nil, fmt.Errorf("answer to %s has opaque %d, want %d", remoting.RequestName(code), resp.Opaque, req.Opaque)
		}
		return resp, nil
	}
}

func (c *rawConn) mustCall(t testing.TB, code int16, fields remoting.Fields, body []byte) *remoting.Command {
	t.Helper()
	resp, err := c.call(code, fields, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// expectClosed reports an error unless the broker closes the connection
// without sending anything.
func (c *rawConn) expectClosed() error {
	_ = c.nc.SetReadDeadline(time.Now().Add(rawTimeout))
	n, err := io.Copy(io.Discard, c.r)
	switch {
	case n > 0:
		return fmt.Errorf("the broker sent %d bytes instead of closing", n)
	case err == nil, errors.Is(err, syscall.ECONNRESET):
		return nil // EOF, or a reset because our bytes were left unread
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("still open after %v", rawTimeout)
	}
	return err
}

// rawFrame builds a frame from a serialize type, a header and a body.
func rawFrame(serialize byte, header, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)+len(body)))
	b = append(b, serialize, byte(len(header)>>16), byte(len(header)>>8), byte(len(header)))
	b = append(b, header...)
	return append(b, body...)
}

// be32 is a length prefix followed by parts.
func be32(n uint32, parts ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// expectRoute asks for topic's route on c and fails unless it is SUCCESS.
func expectRoute(t testing.TB, c *rawConn, topic string) int {
	t.Helper()
	resp := c.mustCall(t, remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: topic}}, nil)
	if resp.Code != remoting.Success {
		t.Fatalf("route of %s: code %d (%s)", topic, resp.Code, resp.Remark)
	}
	var route struct {
		QueueDatas []struct {
			ReadQueueNums int `json:"readQueueNums"`
		} `json:"queueDatas"`
	}
	if err := json.Unmarshal(resp.Body, &route); err != nil || len(route.QueueDatas) != 1 {
		t.Fatalf("route of %s: %v in %s", topic, err, resp.Body)
	}
	return route.QueueDatas[0].ReadQueueNums
}

// topicList is GET_ALL_TOPIC_LIST_FROM_NAMESERVER without the retry and
// dead-letter topics, which every consumer group brings.
func topicList(t testing.TB, c *rawConn) []string {
	t.Helper()
	resp := c.mustCall(t, remoting.GetAllTopicListFromNameServer, nil, nil)
	if resp.Code != remoting.Success {
		t.Fatalf("topic list: code %d (%s)", resp.Code, resp.Remark)
	}
	var list struct {
		Topics []string `json:"topicList"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		t.Fatalf("topic list %s: %v", resp.Body, err)
	}
	return slices.DeleteFunc(list.Topics, func(topic string) bool {
		return message.IsRetryTopic(topic) || message.IsDLQTopic(topic)
	})
}

// sendFields is a SEND_MESSAGE header as the client writes it.
func sendFields(topic, queueID, props string) remoting.Fields {
	return remoting.Fields{
		{Key: "producerGroup", Value: "pg_raw"},
		{Key: "topic", Value: topic},
		{Key: "queueId", Value: queueID},
		{Key: "sysFlag", Value: "0"},
		{Key: "bornTimestamp", Value: strconv.FormatInt(time.Now().UnixMilli(), 10)},
		{Key: "flag", Value: "0"},
		{Key: "properties", Value: props},
		{Key: "reconsumeTimes", Value: "0"},
		{Key: "unitMode", Value: "false"},
		{Key: "maxReconsumeTimes", Value: "0"},
		{Key: "defaultTopic", Value: "TBW102"},
		{Key: "defaultTopicQueueNums", Value: "4"},
		{Key: "batch", Value: "false"},
	}
}

// pullFields is a PULL_MESSAGE header.
func pullFields(group, topic string, queueID int32, offset int64, maxMsgs int, sysFlag int) remoting.Fields {
	return remoting.Fields{
		{Key: "consumerGroup", Value: group},
		{Key: "topic", Value: topic},
		{Key: "queueId", Value: strconv.Itoa(int(queueID))},
		{Key: "queueOffset", Value: strconv.FormatInt(offset, 10)},
		{Key: "maxMsgNums", Value: strconv.Itoa(maxMsgs)},
		{Key: "sysFlag", Value: strconv.Itoa(sysFlag)},
		{Key: "commitOffset", Value: "0"},
		{Key: "suspendTimeoutMillis", Value: "0"},
		{Key: "subscription", Value: "*"},
		{Key: "subVersion", Value: "0"},
		{Key: "expressionType", Value: "TAG"},
	}
}

// propsOfSize is a property string of exactly n bytes: one user property.
func propsOfSize(n int) string {
	const key = "pad"
	return key + "\x01" + strings.Repeat("p", n-len(key)-2) + "\x02"
}

// propsWithUniqKey is a property string of exactly n bytes holding UNIQ_KEY
// (as the client sends it) and one padding property.
func propsWithUniqKey(n int) string {
	uniq := message.PropertyUniqKey + "\x01" + "7F000001000000000000000000000001" + "\x02"
	return uniq + propsOfSize(n-len(uniq))
}

// readLog reads every queue of topic from offset 0 with raw pulls and
// returns the records in queue order. It fails the test unless each queue
// holds offsets 0..n-1 once each, every record decodes with a good body CRC,
// and the record's topic and queue match.
func readLog(t testing.TB, c *rawConn, topic string) []message.Ext {
	t.Helper()
	queues := expectRoute(t, c, topic)
	var all []message.Ext
	for q := range int32(queues) {
		next := int64(0)
		for {
			resp := c.mustCall(t, remoting.PullMessage, pullFields("g_readlog", topic, q, next, 1024, 0), nil)
			if resp.Code == remoting.PullNotFound {
				break
			}
			if resp.Code != remoting.Success {
				t.Fatalf("pull %s/%d at %d: code %d (%s)", topic, q, next, resp.Code, resp.Remark)
			}
			msgs, err := message.DecodeAll(resp.Body, true)
			if err != nil {
				t.Fatalf("pull %s/%d at %d: records do not decode: %v", topic, q, next, err)
			}
			for _, m := range msgs {
				if m.Topic != topic || m.QueueID != q || m.QueueOffset != next {
					t.Fatalf("pull %s/%d: record %s/%d offset %d, want offset %d", topic, q, m.Topic, m.QueueID, m.QueueOffset, next)
				}
				next++
			}
			if nb, _ := resp.ExtFields.Int64("nextBeginOffset"); nb != next {
				t.Fatalf("pull %s/%d: nextBeginOffset %d after offset %d", topic, q, nb, next-1)
			}
			all = append(all, msgs...)
		}
	}
	return all
}

func bodiesOf(msgs []message.Ext) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// assertLogIntact checks that topic holds exactly the acknowledged bodies,
// each once and undamaged, and that a consumer of a new group receives all
// of them.
func assertLogIntact(t testing.TB, b *broker.Broker, topic string, acked []string) {
	t.Helper()
	rc := dialRaw(t, b.Addr())
	stored := bodiesOf(readLog(t, rc, topic))
	if !slices.Equal(sortedCopy(stored), sortedCopy(acked)) {
		t.Fatalf("log of %s holds %d messages %q, want the %d acknowledged %q",
			topic, len(stored), clipTexts(stored), len(acked), clipTexts(acked))
	}
	got := consumeFresh(t, b, topic, acked, 30*time.Second)
	for body, n := range got {
		if !slices.Contains(acked, body) {
			t.Errorf("consumer received %q (%d times), which was never acknowledged", clipText(body), n)
		}
	}
}

// consumeFresh starts a consumer of a new group on topic from its first
// offset, waits until it received every body in want, shuts it down and
// returns how often it received each body.
func consumeFresh(t testing.TB, b *broker.Broker, topic string, want []string, timeout time.Duration) map[string]int {
	t.Helper()
	r := newReceived()
	c := startConsumer(t, b, uniqueName("g_verify"), topic, "*", r)
	defer func() { _ = c.Shutdown() }()
	count := func() map[string]int {
		got := map[string]int{}
		for _, m := range r.snapshot() {
			got[string(m.Body)]++
		}
		return got
	}
	missing := func(got map[string]int) []string {
		var out []string
		for _, w := range want {
			if got[w] == 0 {
				out = append(out, w)
			}
		}
		return out
	}
	deadline := time.After(timeout)
	for {
		got := count()
		m := missing(got)
		if len(m) == 0 {
			return got
		}
		select {
		case <-r.ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("consumer received %d of %d wanted messages within %v; missing %d, e.g. %q",
				len(want)-len(m), len(want), timeout, len(m), clipTexts(m[:min(len(m), 5)]))
		}
	}
}

// clip shortens s for messages.
func clipText(s string) string {
	if len(s) <= 40 {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:30], len(s))
}

func clipTexts(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clipText(s)
	}
	return out
}

func headLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// nextRequest reads frames until the broker sends a request of its own,
// waiting at most wait.
func (c *rawConn) nextRequest(t testing.TB, wait time.Duration) *remoting.Command {
	t.Helper()
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(wait))
		cmd, err := remoting.ReadCommand(c.r, 256<<20)
		if err != nil {
			t.Fatalf("waiting for a request from the broker: %v", err)
		}
		if !cmd.IsResponse() {
			return cmd
		}
	}
}
