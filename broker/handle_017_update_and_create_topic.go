package broker

// UPDATE_AND_CREATE_TOPIC (17).
//
// Behavior: creates the topic or replaces its queue counts and permission
// (readQueueNums, writeQueueNums, perm, order). Invalid names or counts are
// refused with INVALID_PARAMETER; the Go admin client ignores the code, so
// the remark also goes to the broker log.
//
// With name servers (Config.NamesrvAddr) the broker registers the change
// with them before it answers.
//
// Deviations: shrinking a topic hides the higher queues from routes but
// keeps their messages.

import (
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.UpdateAndCreateTopic, handleUpdateAndCreateTopic) }

// maxQueuesPerTopic bounds queue counts set through admin requests.
const maxQueuesPerTopic = 1024

func handleUpdateAndCreateTopic(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	tc := TopicConfig{Name: f.Get("topic"), Perm: permRW, Order: f.Bool("order")}
	fail := func(remark string) *remoting.Command {
		b.log.Warn("refused topic update", "topic", tc.Name, "reason", remark)
		return errorResponse(req, remoting.InvalidParameter, remark)
	}
	if err := message.ValidateTopic(tc.Name); err != nil {
		return fail(err.Error())
	}
	if tc.Name == DefaultTopic || isSystemTopic(tc.Name) {
		return fail("topic " + tc.Name + " is reserved for the broker")
	}
	var err error
	for _, q := range []struct {
		key string
		dst *int
	}{{"readQueueNums", &tc.ReadQueues}, {"writeQueueNums", &tc.WriteQueues}} {
		n, e := f.Int32(q.key)
		if e != nil || n < 1 || n > maxQueuesPerTopic {
			return fail(q.key + " must be 1.." + strconv.Itoa(maxQueuesPerTopic))
		}
		*q.dst = int(n)
	}
	if v, ok := f.Lookup("perm"); ok && v != "" {
		p, e := f.Int32("perm")
		if e != nil || p < 0 || p > 7 {
			return fail("perm must be 0..7")
		}
		tc.Perm = int(p)
	}
	b.topics.put(tc, true)
	if err = b.topics.persist(); err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	b.log.Info("topic updated", "topic", tc.Name, "read_queues", tc.ReadQueues, "write_queues", tc.WriteQueues, "perm", tc.Perm)
	b.syncRegistration()
	return remoting.NewResponse(req, remoting.Success, "")
}
