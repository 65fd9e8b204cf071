// Package namesrv is RocketKit's standalone Apache RocketMQ name server:
// brokers register with it (REGISTER_BROKER every 30 seconds,
// UNREGISTER_BROKER when they stop) and clients ask it where a topic's
// queues are (GET_ROUTEINFO_BY_TOPIC). Run several for a cluster; each
// broker registers with every one, and clients given all their addresses
// keep working while one is down. `rocketkit namesrv --listen ADDR` runs
// one.
//
//	ns, err := namesrv.Start(ctx, namesrv.Config{Listen: "127.0.0.1:0"})
//	...
//	defer ns.Close()
//
// Brokers point at it with namesrvAddr in their broker.conf (or
// broker.Config.NamesrvAddr), several separated by ";". Without one, the
// embedded broker (package broker) is its own name server, on its own
// port, as before.
//
// # What it keeps
//
// The route table of Java's RouteInfoManager, in memory only: for each
// topic the queues each broker name registered; for each broker name its
// addresses by broker id (0 the master, 1 and up slaves) and cluster; for
// each broker process when it last registered and its HA address. Routes
// merge every broker name holding the topic. A broker not heard from
// within BrokerExpiry (120s, or its heartbeatTimeoutMillis) is dropped
// by a scan every ScanInterval (5s); one whose registration connection
// closes is dropped at once, as Java's channel-destroy does. Nothing is
// persisted: a restarted name server learns the cluster again from the
// brokers' next registrations, within 30 seconds.
//
// # Requests
//
// REGISTER_BROKER (103), UNREGISTER_BROKER (104), GET_ROUTEINFO_BY_TOPIC
// (105), GET_BROKER_CLUSTER_INFO (106), GET_ALL_TOPIC_LIST_FROM_NAMESERVER
// (206), DELETE_TOPIC_IN_NAMESRV (216) and GET_KV_CONFIG (101, always
// QUERY_NOT_FOUND: there is no KV store). Every other code is answered
// REQUEST_CODE_NOT_SUPPORTED. Each handler's comment in handle.go says
// what still differs from Java; a header or body that does not decode is
// answered SYSTEM_ERROR naming the field.
//
// The package imports only the shared protocol packages, never the
// broker's.
package namesrv
