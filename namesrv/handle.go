package namesrv

// Request handlers, one function per request code. Each says what it
// answers and what still differs from Java's DefaultRequestProcessor and
// ClientRequestProcessor.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

type handler func(s *Server, c *conn, req *remoting.Command) (*remoting.Command, error)

var handlers = map[int16]handler{
	remoting.RegisterBroker:                handleRegisterBroker,
	remoting.UnregisterBroker:              handleUnregisterBroker,
	remoting.GetRouteInfoByTopic:           handleGetRouteInfo,
	remoting.GetBrokerClusterInfo:          handleGetBrokerClusterInfo,
	remoting.GetAllTopicListFromNameServer: handleGetAllTopicList,
	remoting.DeleteTopicInNameServer:       handleDeleteTopic,
	remoting.GetKVConfig:                   handleGetKVConfig,
}

// dispatch answers req. A header or body that does not decode is
// answered SYSTEM_ERROR with what was wrong, as Java answers a
// RemotingCommandException; an unknown code REQUEST_CODE_NOT_SUPPORTED.
func (s *Server) dispatch(c *conn, req *remoting.Command) *remoting.Command {
	h, ok := handlers[req.Code]
	if !ok {
		return remoting.NewResponse(req, remoting.RequestCodeNotSupported,
			fmt.Sprintf(" request type %d not supported", req.Code))
	}
	resp, err := h(s, c, req)
	if err != nil {
		s.log.Warn("bad request", "code", remoting.RequestName(req.Code), "remote", c.remote, "err", err)
		return remoting.NewResponse(req, remoting.SystemError, err.Error())
	}
	return resp
}

// field returns a header field Java declares @CFNotNull.
func field(req *remoting.Command, key string) (string, error) {
	v, ok := req.ExtFields.Lookup(key)
	if !ok {
		return "", fmt.Errorf("%w: the custom field <%s> is null", errRequest, key)
	}
	return v, nil
}

// brokerHeader reads the fields REGISTER_BROKER and UNREGISTER_BROKER
// share: brokerName, brokerAddr (host:port), clusterName and brokerId
// (0 or more).
func brokerHeader(req *remoting.Command) (name, addr, cluster string, id int64, err error) {
	var errs []error
	get := func(key string) string {
		v, ferr := field(req, key)
		errs = append(errs, ferr)
		return v
	}
	name, addr, cluster = get("brokerName"), get("brokerAddr"), get("clusterName")
	if err := errors.Join(errs...); err != nil {
		return "", "", "", 0, err
	}
	if _, _, serr := net.SplitHostPort(addr); serr != nil || name == "" || cluster == "" {
		return "", "", "", 0, fmt.Errorf("%w: brokerAddr %q must be host:port, brokerName %q and clusterName %q not empty", errRequest, addr, name, cluster)
	}
	id, err = req.ExtFields.Int64("brokerId")
	if err != nil {
		return "", "", "", 0, fmt.Errorf("%w: %w", errRequest, err)
	}
	if id < 0 {
		return "", "", "", 0, fmt.Errorf("%w: brokerId %d is negative", errRequest, id)
	}
	return name, addr, cluster, id, nil
}

// REGISTER_BROKER (103): a broker's periodic registration.
//
// Behavior: RouteInfoManager.registerBroker. The header's brokerAddr,
// brokerName, clusterName, haServerAddr and brokerId are required;
// bodyCrc32, unless 0, must match the body (else SYSTEM_ERROR "crc32 not
// match"); heartbeatTimeoutMillis replaces the 120s expiry. The body's
// topics become the broker name's queues when the registrant is the
// master (or, for brokers that send enableActingMaster, the slave with
// the lowest id while there is no master) and this is its first
// registration or its dataVersion changed. A slave's answer carries its
// master's address and HA address (masterAddr, haServerAddr).
//
// Deviations: a compressed body (compressedRegister=true) is refused with
// SYSTEM_ERROR saying so; static topics (topicQueueMappingInfoMap) are
// ignored; no order-topic KV list is returned in the body; no
// NOTIFY_MIN_BROKER_ID_CHANGE is sent to brokers.
func handleRegisterBroker(s *Server, c *conn, req *remoting.Command) (*remoting.Command, error) {
	name, addr, cluster, id, err := brokerHeader(req)
	if err != nil {
		return nil, err
	}
	ha, err := field(req, "haServerAddr")
	if err != nil {
		return nil, err
	}
	if req.ExtFields.Bool("compressed") {
		return nil, fmt.Errorf("%w: compressed registration is not supported by this name server: set compressedRegister=false on broker %s", errRequest, name)
	}
	if v := req.ExtFields.Get("bodyCrc32"); v != "" && v != "0" {
		want, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil || int32(want) != payload.BodyCRC32(req.Body) {
			return remoting.NewResponse(req, remoting.SystemError, "crc32 not match"), nil
		}
	}
	reg := registration{cluster: cluster, addr: addr, name: name, haAddr: ha, id: id, conn: c, now: time.Now()}
	if v, ok := req.ExtFields.Lookup("heartbeatTimeoutMillis"); ok && v != "" {
		ms, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || ms <= 0 || ms > int64(24*time.Hour/time.Millisecond) {
			return nil, fmt.Errorf("%w: heartbeatTimeoutMillis %q is not a positive number of milliseconds up to a day", errRequest, v)
		}
		reg.timeout = time.Duration(ms) * time.Millisecond
	}
	if v, ok := req.ExtFields.Lookup("enableActingMaster"); ok && v != "" {
		on := strings.EqualFold(v, "true")
		reg.actingMaster = &on
	}
	if reg.body, err = payload.ParseRegisterBrokerBody(req.Body); err != nil {
		return nil, fmt.Errorf("%w: Failed to decode RegisterBrokerBody: %w", errRequest, err)
	}
	res, ok := s.routes.register(reg)
	if !ok {
		return remoting.NewResponse(req, remoting.SystemError, "register broker failed"), nil
	}
	s.log.Debug("broker registered", "cluster", cluster, "name", name, "id", id, "addr", addr,
		"topics", len(reg.body.Topics.Table))
	resp := remoting.NewResponse(req, remoting.Success, "")
	if res.masterAddr != "" {
		resp.ExtFields = remoting.Fields{{Key: "masterAddr", Value: res.masterAddr}, {Key: "haServerAddr", Value: res.haAddr}}
	}
	return resp, nil
}

// UNREGISTER_BROKER (104): a broker shutting down.
//
// Behavior: RouteInfoManager.unRegisterBroker: the address leaves its
// broker name; the last address of a name takes the name and its queues
// with it, and the last name of a cluster the cluster. Always SUCCESS.
//
// Deviations: done at once rather than queued to Java's
// BatchUnregistrationService (the answer comes after the change).
func handleUnregisterBroker(s *Server, _ *conn, req *remoting.Command) (*remoting.Command, error) {
	name, addr, cluster, _, err := brokerHeader(req)
	if err != nil {
		return nil, err
	}
	if s.routes.unregister(cluster, addr, name) {
		s.log.Info("broker unregistered", "cluster", cluster, "name", name, "addr", addr)
	}
	return remoting.NewResponse(req, remoting.Success, ""), nil
}

// GET_ROUTEINFO_BY_TOPIC (105).
//
// Behavior: the queues every registered broker name holds of the topic
// and those names' addresses by broker id, as standard JSON (what Java
// writes for clients of 4.9.4 and later); TOPIC_NOT_EXIST "No topic route
// info in name server for the topic: T" when no broker holds it.
//
// Deviations: orderTopicConf is never set (Java's orderMessageEnable is
// off by default too); the FAQ link is not appended to the remark.
func handleGetRouteInfo(s *Server, _ *conn, req *remoting.Command) (*remoting.Command, error) {
	topic, err := field(req, "topic")
	if err != nil {
		return nil, err
	}
	r, ok := s.routes.route(topic)
	if !ok {
		return remoting.NewResponse(req, remoting.TopicNotExist, "No topic route info in name server for the topic: "+topic), nil
	}
	return jsonResponse(req, r), nil
}

// GET_BROKER_CLUSTER_INFO (106).
//
// Behavior: ClusterInfo: {"brokerAddrTable":{name:BrokerData},
// "clusterAddrTable":{cluster:[names]}}.
//
// Deviations: brokerAddrs keys are JSON strings, not fastjson's bare
// integers; BrokerData has no zoneName or enableActingMaster.
func handleGetBrokerClusterInfo(s *Server, _ *conn, req *remoting.Command) (*remoting.Command, error) {
	return jsonResponse(req, s.routes.clusterInfo()), nil
}

// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
//
// Behavior: {"topicList":[...]} with every topic some broker registered,
// system topics included, sorted.
//
// Deviations: Java's enableAllTopicList switch is not offered (it is on
// by default).
func handleGetAllTopicList(s *Server, _ *conn, req *remoting.Command) (*remoting.Command, error) {
	return jsonResponse(req, struct {
		Topics []string `json:"topicList"`
	}{s.routes.topicList()}), nil
}

// DELETE_TOPIC_IN_NAMESRV (216).
//
// Behavior: removes the topic's route; with clusterName, only the
// cluster's brokers' queues. Always SUCCESS. A broker that still holds
// the topic routes it again at its next registration whose dataVersion
// changed.
func handleDeleteTopic(s *Server, _ *conn, req *remoting.Command) (*remoting.Command, error) {
	topic, err := field(req, "topic")
	if err != nil {
		return nil, err
	}
	s.routes.deleteTopic(topic, req.ExtFields.Get("clusterName"))
	return remoting.NewResponse(req, remoting.Success, ""), nil
}

// GET_KV_CONFIG (101).
//
// Behavior: QUERY_NOT_FOUND "No config item, Namespace: N Key: K", what
// Java answers for a key never put (ORDER_TOPIC_CONFIG lookups by Java
// clients included).
//
// Deviations: there is no KV store: PUT_KV_CONFIG and DELETE_KV_CONFIG
// are not supported, so every key is missing.
func handleGetKVConfig(_ *Server, _ *conn, req *remoting.Command) (*remoting.Command, error) {
	return remoting.NewResponse(req, remoting.QueryNotFound,
		"No config item, Namespace: "+req.ExtFields.Get("namespace")+" Key: "+req.ExtFields.Get("key")), nil
}

func jsonResponse(req *remoting.Command, v any) *remoting.Command {
	body, err := json.Marshal(v)
	if err != nil {
		return remoting.NewResponse(req, remoting.SystemError, "encode answer: "+err.Error())
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}
