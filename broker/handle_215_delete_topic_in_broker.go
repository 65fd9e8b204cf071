package broker

// DELETE_TOPIC_IN_BROKER (215) and DELETE_TOPIC_IN_NAMESRV (216).
//
// Behavior: the topic's configuration, consume queues and consumer offsets
// are dropped; the name server role shares the table, so 216 does the same
// (the admin client sends both; the second finds nothing to do).
//
// With name servers (Config.NamesrvAddr) the broker registers its table
// without the topic before it answers (a name server drops the topic only
// with deleteTopicWithBrokerRegistration, or on DELETE_TOPIC_IN_NAMESRV).
//
// A slave refuses it (SERVICE_NOT_AVAILABLE): its topics follow its
// master's (the topic table is copied, and a topic the master deletes and
// receives again restarts the slave's queues when its records arrive); a
// deletion on the slave alone would leave its queues behind the master's.
// Java's admin tools send it to masters only.
//
// Deviations: the messages stay in the commit log until retention and are
// no longer reachable through queues.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() {
	register(remoting.DeleteTopicInBroker, handleDeleteTopic)
	register(remoting.DeleteTopicInNameServer, handleDeleteTopic)
}

func handleDeleteTopic(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	topic := req.ExtFields.Get("topic")
	if b.cfg.isSlave() {
		return errorResponse(req, remoting.ServiceNotAvailable, "broker "+b.cfg.BrokerName+" at "+b.addr+
			" is a slave (brokerRole=SLAVE): delete topic "+topic+" on its master; the slave follows")
	}
	if topic == DefaultTopic || isSystemTopic(topic) {
		return errorResponse(req, remoting.InvalidParameter, "topic "+topic+" is reserved for the broker")
	}
	if !b.topics.remove(topic) {
		return remoting.NewResponse(req, remoting.Success, "")
	}
	b.offsets.dropTopic(topic)
	if err := b.store.DeleteTopic(topic); err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	if err := b.topics.persist(); err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	b.log.Info("topic deleted", "topic", topic)
	b.syncRegistration()
	return remoting.NewResponse(req, remoting.Success, "")
}
