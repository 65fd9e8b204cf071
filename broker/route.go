package broker

// Route data as the name server answers it: this broker as master (id 0)
// of its cluster, with the topic's queues.

import (
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// notNameServer answers a name-server request on a broker that registers
// with name servers (Config.NamesrvAddr) as a Java broker does,
// REQUEST_CODE_NOT_SUPPORTED, naming the name servers to ask instead. It
// returns nil when the broker is its own name server.
func (b *Broker) notNameServer(req *remoting.Command) *remoting.Command {
	if b.registrar == nil {
		return nil
	}
	return errorResponse(req, remoting.RequestCodeNotSupported, "this broker registers with name servers "+
		b.cfg.NamesrvAddr+" and does not answer "+remoting.RequestName(req.Code)+": ask them")
}

// syncRegistration registers with the name servers (Config.NamesrvAddr)
// before a request that changed the topic table is answered, as Java's
// broker does on topic creation, so the next route lookup finds the
// topic. It returns at once when nothing changed or there are no name
// servers, else when the first name server accepted the registration (or
// none could, after at most the registration timeout).
func (b *Broker) syncRegistration() {
	if b.registrar != nil {
		b.registrar.registerChanged()
	}
}

// appendRoute appends the TopicRouteData JSON for tc. Names are validated
// to [%|a-zA-Z0-9_-], so they need no escaping.
func (b *Broker) appendRoute(dst []byte, tc TopicConfig) []byte {
	dst = append(dst, `{"orderTopicConf":"","queueDatas":[{"brokerName":"`...)
	dst = append(dst, b.cfg.BrokerName...)
	dst = append(dst, `","readQueueNums":`...)
	dst = strconv.AppendInt(dst, int64(tc.ReadQueues), 10)
	dst = append(dst, `,"writeQueueNums":`...)
	dst = strconv.AppendInt(dst, int64(tc.WriteQueues), 10)
	dst = append(dst, `,"perm":`...)
	dst = strconv.AppendInt(dst, int64(tc.Perm), 10)
	dst = append(dst, `,"topicSysFlag":0,"topicSynFlag":0}],"brokerDatas":[`...)
	dst = b.appendBrokerData(dst)
	return append(dst, `],"filterServerTable":{}}`...)
}

// appendBrokerData appends this broker's BrokerData JSON object.
func (b *Broker) appendBrokerData(dst []byte) []byte {
	dst = append(dst, `{"cluster":"`...)
	dst = append(dst, b.cfg.ClusterName...)
	dst = append(dst, `","brokerName":"`...)
	dst = append(dst, b.cfg.BrokerName...)
	dst = append(dst, `","brokerAddrs":{"0":"`...)
	dst = append(dst, b.addr...)
	return append(dst, `"}}`...)
}
