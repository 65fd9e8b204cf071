package broker_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Single messages a client pipelined in one write are stored together
// (far fewer store appends than messages) and each is answered as if sent
// alone: answers in request order, queue offsets consecutive per queue in
// arrival order, commit-log offsets (msgId) ascending in arrival order. A
// refused send among them is refused alone; a one-way send is stored and
// not answered; a request that follows sends on the connection
// (GET_MAX_OFFSET) sees them stored.
func TestPipelinedSendsStoredTogether(t *testing.T) {
	b := brokertest.Start(t)
	c := dialRaw(t, b.Addr())
	topic := uniqueName("t_stage")
	rawSend(t, c, topic, "warm-up", "k", "v") // creates the topic: queue 0 holds 1

	type want struct {
		opaque int32
		code   int16
		queue  int32 // sends: the queue; -1: GET_MAX_OFFSET
		offset int64 // the queue offset, or the max offset
	}
	var (
		batch  []byte
		wants  []want
		next   = map[int32]int64{0: 1, 1: 0}
		bodies = map[int32][]string{0: {"warm-up"}}
		stored int
	)
	frame := func(code int16, fields remoting.Fields, body []byte, oneway bool) int32 {
		c.opaque++
		req := &remoting.Command{Code: code, Language: "GO", Version: remoting.Version, Opaque: c.opaque,
			ExtFields: fields, Body: body}
		if oneway {
			req.Flag |= remoting.FlagOneway
		}
		batch = remoting.AppendFrame(batch, req)
		return c.opaque
	}
	send := func(q int32, oneway bool) {
		body := "m" + strconv.Itoa(int(c.opaque+1))
		op := frame(remoting.SendMessage, sendFields(topic, strconv.Itoa(int(q)), ""), []byte(body), oneway)
		bodies[q] = append(bodies[q], body)
		if !oneway {
			wants = append(wants, want{opaque: op, code: remoting.Success, queue: q, offset: next[q]})
		}
		next[q]++
		stored++
	}
	maxOffset := func() {
		op := frame(remoting.GetMaxOffset, remoting.Fields{{Key: "topic", Value: topic}, {Key: "queueId", Value: "0"}}, nil, false)
		wants = append(wants, want{opaque: op, code: remoting.Success, queue: -1, offset: next[0]})
	}
	for i := range 40 {
		send(int32(i%2), false)
	}
	op := frame(remoting.SendMessage, sendFields(topic, "99", ""), []byte("refused"), false)
	wants = append(wants, want{opaque: op, code: remoting.InvalidParameter})
	send(0, true)
	maxOffset()
	for range 20 {
		send(0, false)
	}
	maxOffset()

	before := b.StoreCounters()
	if err := c.write(batch); err != nil {
		t.Fatal(err)
	}
	lastLog := int64(-1)
	for _, w := range wants {
		resp, err := c.nextResponse()
		if err != nil {
			t.Fatalf("answer to request %d: %v", w.opaque, err)
		}
		if resp.Opaque != w.opaque || resp.Code != w.code {
			t.Fatalf("next answer: opaque %d code %d (%s), want opaque %d code %d", resp.Opaque, resp.Code, resp.Remark,
				w.opaque, w.code)
		}
		f := resp.ExtFields
		switch {
		case w.code != remoting.Success:
		case w.queue < 0:
			if got, _ := f.Int64("offset"); got != w.offset {
				t.Errorf("GET_MAX_OFFSET %d answers %d, want %d: the sends before it were not all stored", w.opaque, got, w.offset)
			}
		default:
			q, _ := f.Int32("queueId")
			off, _ := f.Int64("queueOffset")
			_, logOff, err := message.ParseOffsetMsgID(f.Get("msgId"))
			if q != w.queue || off != w.offset || err != nil || logOff <= lastLog {
				t.Errorf("send %d answered queue %d offset %d msgId %s (%v), want queue %d offset %d after log offset %d",
					w.opaque, q, off, f.Get("msgId"), err, w.queue, w.offset, lastLog)
			}
			if f.Get("transactionId") == "" {
				t.Errorf("send %d answered without transactionId (UNIQ_KEY)", w.opaque)
			}
			lastLog = logOff
		}
	}
	after := b.StoreCounters()
	puts, appends := after.PutMessages-before.PutMessages, after.Appends-before.Appends
	t.Logf("%d pipelined messages stored in %d appends", puts, appends)
	if puts != int64(stored) || appends*4 > puts {
		t.Errorf("%d messages stored in %d appends, want %d in at most %d", puts, appends, stored, stored/4)
	}

	// The queues hold the messages in the order they were sent.
	for q, want := range bodies {
		resp := c.mustCall(t, remoting.PullMessage, pullFields(uniqueName("g_stage"), topic, q, 0, 100, 0), nil)
		msgs, err := message.DecodeAll(resp.Body, true)
		if resp.Code != remoting.Success || err != nil || len(msgs) != len(want) {
			t.Fatalf("pull queue %d: code %d (%s), %d messages (%v), want %d", q, resp.Code, resp.Remark, len(msgs), err, len(want))
		}
		for i, m := range msgs {
			if string(m.Body) != want[i] || m.QueueOffset != int64(i) {
				t.Errorf("queue %d offset %d holds %q at %d, want %q", q, i, m.Body, m.QueueOffset, want[i])
			}
		}
	}
}

// Sends pipelined ahead of a malformed frame are stored although the
// connection is closed at the bad frame.
func TestPipelinedSendsBeforeABadFrameStored(t *testing.T) {
	b := brokertest.Start(t)
	c := dialRaw(t, b.Addr())
	topic := uniqueName("t_stage_bad")
	rawSend(t, c, topic, "warm-up")
	var batch []byte
	for i := range 10 {
		batch = remoting.AppendFrame(batch, &remoting.Command{Code: remoting.SendMessage, Language: "GO",
			Version: remoting.Version, Opaque: int32(100 + i), ExtFields: sendFields(topic, "0", ""), Body: []byte("x")})
	}
	batch = append(batch, 0, 0, 0, 8, 0, 0, 0, 200, 1, 2, 3, 4) // header length 200 in an 8-byte frame
	if err := c.write(batch); err != nil {
		t.Fatal(err)
	}
	if err := c.expectClosedAfterAnswers(); err != nil {
		t.Fatal(err)
	}
	c2 := dialRaw(t, b.Addr())
	resp := c2.mustCall(t, remoting.GetMaxOffset, remoting.Fields{{Key: "topic", Value: topic}, {Key: "queueId", Value: "0"}}, nil)
	if got, _ := resp.ExtFields.Int64("offset"); got != 11 {
		t.Errorf("queue 0 ends at %d after the cut burst, want 11", got)
	}
}

// expectClosedAfterAnswers reads until the broker closes the connection,
// whatever it answers first.
func (c *rawConn) expectClosedAfterAnswers() error {
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(rawTimeout))
		if _, err := remoting.ReadCommand(c.r, 256<<20); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				return err
			}
			return nil
		}
	}
}
