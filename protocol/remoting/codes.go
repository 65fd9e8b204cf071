package remoting

import (
	"errors"
	"strconv"
)

// Request codes (Command.Code of a request). The Java name, as printed by
// RequestName, is in each comment.
const (
	SendMessage                   int16 = 10  // SEND_MESSAGE
	PullMessage                   int16 = 11  // PULL_MESSAGE
	QueryMessage                  int16 = 12  // QUERY_MESSAGE
	QueryBrokerOffset             int16 = 13  // QUERY_BROKER_OFFSET
	QueryConsumerOffset           int16 = 14  // QUERY_CONSUMER_OFFSET
	UpdateConsumerOffset          int16 = 15  // UPDATE_CONSUMER_OFFSET
	UpdateAndCreateTopic          int16 = 17  // UPDATE_AND_CREATE_TOPIC
	GetAllTopicConfig             int16 = 21  // GET_ALL_TOPIC_CONFIG
	SearchOffsetByTimestamp       int16 = 29  // SEARCH_OFFSET_BY_TIMESTAMP
	GetMaxOffset                  int16 = 30  // GET_MAX_OFFSET
	GetMinOffset                  int16 = 31  // GET_MIN_OFFSET
	GetEarliestMsgStoreTime       int16 = 32  // GET_EARLIEST_MSG_STORETIME
	ViewMessageByID               int16 = 33  // VIEW_MESSAGE_BY_ID
	HeartBeat                     int16 = 34  // HEART_BEAT
	UnregisterClient              int16 = 35  // UNREGISTER_CLIENT
	ConsumerSendMsgBack           int16 = 36  // CONSUMER_SEND_MSG_BACK
	EndTransaction                int16 = 37  // END_TRANSACTION
	GetConsumerListByGroup        int16 = 38  // GET_CONSUMER_LIST_BY_GROUP
	CheckTransactionState         int16 = 39  // CHECK_TRANSACTION_STATE (broker → client)
	NotifyConsumerIDsChanged      int16 = 40  // NOTIFY_CONSUMER_IDS_CHANGED (broker → client)
	LockBatchMQ                   int16 = 41  // LOCK_BATCH_MQ
	UnlockBatchMQ                 int16 = 42  // UNLOCK_BATCH_MQ
	GetAllConsumerOffset          int16 = 43  // GET_ALL_CONSUMER_OFFSET (slave → master)
	GetAllDelayOffset             int16 = 45  // GET_ALL_DELAY_OFFSET (slave → master)
	CheckClientConfig             int16 = 46  // CHECK_CLIENT_CONFIG
	GetKVConfig                   int16 = 101 // GET_KV_CONFIG (nameserver)
	RegisterBroker                int16 = 103 // REGISTER_BROKER (broker → nameserver)
	UnregisterBroker              int16 = 104 // UNREGISTER_BROKER (broker → nameserver)
	GetRouteInfoByTopic           int16 = 105 // GET_ROUTEINFO_BY_TOPIC (nameserver)
	GetBrokerClusterInfo          int16 = 106 // GET_BROKER_CLUSTER_INFO (nameserver)
	GetAllSubscriptionGroupConfig int16 = 201 // GET_ALL_SUBSCRIPTIONGROUP_CONFIG
	GetTopicStatsInfo             int16 = 202 // GET_TOPIC_STATS_INFO
	GetConsumerConnectionList     int16 = 203 // GET_CONSUMER_CONNECTION_LIST
	GetAllTopicListFromNameServer int16 = 206 // GET_ALL_TOPIC_LIST_FROM_NAMESERVER (nameserver)
	GetConsumeStats               int16 = 208 // GET_CONSUME_STATS
	DeleteTopicInBroker           int16 = 215 // DELETE_TOPIC_IN_BROKER
	DeleteTopicInNameServer       int16 = 216 // DELETE_TOPIC_IN_NAMESRV (nameserver)
	ResetConsumerClientOffset     int16 = 220 // RESET_CONSUMER_CLIENT_OFFSET (broker → client)
	GetConsumerStatusFromClient   int16 = 221 // GET_CONSUMER_STATUS_FROM_CLIENT (broker → client)
	QueryTopicConsumeByWho        int16 = 300 // QUERY_TOPIC_CONSUME_BY_WHO
	GetConsumerRunningInfo        int16 = 307 // GET_CONSUMER_RUNNING_INFO (broker → client)
	ConsumeMessageDirectly        int16 = 309 // CONSUME_MESSAGE_DIRECTLY (broker → client)
	SendMessageV2                 int16 = 310 // SEND_MESSAGE_V2
	SendBatchMessage              int16 = 320 // SEND_BATCH_MESSAGE
	QueryConsumeQueue             int16 = 321 // QUERY_CONSUME_QUEUE
	SendReplyMessage              int16 = 324 // SEND_REPLY_MESSAGE
	SendReplyMessageV2            int16 = 325 // SEND_REPLY_MESSAGE_V2
	PushReplyMessageToClient      int16 = 326 // PUSH_REPLY_MESSAGE_TO_CLIENT (broker → client)
)

// Administration request codes (mqadmin, rocketmq-dashboard).
const (
	UpdateBrokerConfig               int16 = 25  // UPDATE_BROKER_CONFIG
	GetBrokerConfig                  int16 = 26  // GET_BROKER_CONFIG
	GetBrokerRuntimeInfo             int16 = 28  // GET_BROKER_RUNTIME_INFO
	UpdateAndCreateSubscriptionGroup int16 = 200 // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
	DeleteSubscriptionGroup          int16 = 207 // DELETE_SUBSCRIPTIONGROUP
	InvokeBrokerToResetOffset        int16 = 222 // INVOKE_BROKER_TO_RESET_OFFSET
)

var requestNames = map[int16]string{
	SendMessage:                   "SEND_MESSAGE",
	PullMessage:                   "PULL_MESSAGE",
	QueryMessage:                  "QUERY_MESSAGE",
	QueryBrokerOffset:             "QUERY_BROKER_OFFSET",
	QueryConsumerOffset:           "QUERY_CONSUMER_OFFSET",
	UpdateConsumerOffset:          "UPDATE_CONSUMER_OFFSET",
	UpdateAndCreateTopic:          "UPDATE_AND_CREATE_TOPIC",
	GetAllTopicConfig:             "GET_ALL_TOPIC_CONFIG",
	SearchOffsetByTimestamp:       "SEARCH_OFFSET_BY_TIMESTAMP",
	GetMaxOffset:                  "GET_MAX_OFFSET",
	GetMinOffset:                  "GET_MIN_OFFSET",
	GetEarliestMsgStoreTime:       "GET_EARLIEST_MSG_STORETIME",
	ViewMessageByID:               "VIEW_MESSAGE_BY_ID",
	HeartBeat:                     "HEART_BEAT",
	UnregisterClient:              "UNREGISTER_CLIENT",
	ConsumerSendMsgBack:           "CONSUMER_SEND_MSG_BACK",
	EndTransaction:                "END_TRANSACTION",
	GetConsumerListByGroup:        "GET_CONSUMER_LIST_BY_GROUP",
	CheckTransactionState:         "CHECK_TRANSACTION_STATE",
	NotifyConsumerIDsChanged:      "NOTIFY_CONSUMER_IDS_CHANGED",
	LockBatchMQ:                   "LOCK_BATCH_MQ",
	UnlockBatchMQ:                 "UNLOCK_BATCH_MQ",
	GetAllConsumerOffset:          "GET_ALL_CONSUMER_OFFSET",
	GetAllDelayOffset:             "GET_ALL_DELAY_OFFSET",
	CheckClientConfig:             "CHECK_CLIENT_CONFIG",
	GetKVConfig:                   "GET_KV_CONFIG",
	RegisterBroker:                "REGISTER_BROKER",
	UnregisterBroker:              "UNREGISTER_BROKER",
	GetRouteInfoByTopic:           "GET_ROUTEINFO_BY_TOPIC",
	GetBrokerClusterInfo:          "GET_BROKER_CLUSTER_INFO",
	GetAllSubscriptionGroupConfig: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
	GetTopicStatsInfo:             "GET_TOPIC_STATS_INFO",
	GetConsumerConnectionList:     "GET_CONSUMER_CONNECTION_LIST",
	GetAllTopicListFromNameServer: "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	GetConsumeStats:               "GET_CONSUME_STATS",
	DeleteTopicInBroker:           "DELETE_TOPIC_IN_BROKER",
	DeleteTopicInNameServer:       "DELETE_TOPIC_IN_NAMESRV",
	ResetConsumerClientOffset:     "RESET_CONSUMER_CLIENT_OFFSET",
	GetConsumerStatusFromClient:   "GET_CONSUMER_STATUS_FROM_CLIENT",
	QueryTopicConsumeByWho:        "QUERY_TOPIC_CONSUME_BY_WHO",
	GetConsumerRunningInfo:        "GET_CONSUMER_RUNNING_INFO",
	ConsumeMessageDirectly:        "CONSUME_MESSAGE_DIRECTLY",
	SendMessageV2:                 "SEND_MESSAGE_V2",
	SendBatchMessage:              "SEND_BATCH_MESSAGE",
	QueryConsumeQueue:             "QUERY_CONSUME_QUEUE",
	SendReplyMessage:              "SEND_REPLY_MESSAGE",
	SendReplyMessageV2:            "SEND_REPLY_MESSAGE_V2",
	PushReplyMessageToClient:      "PUSH_REPLY_MESSAGE_TO_CLIENT",

	UpdateBrokerConfig:               "UPDATE_BROKER_CONFIG",
	GetBrokerConfig:                  "GET_BROKER_CONFIG",
	GetBrokerRuntimeInfo:             "GET_BROKER_RUNTIME_INFO",
	UpdateAndCreateSubscriptionGroup: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
	DeleteSubscriptionGroup:          "DELETE_SUBSCRIPTIONGROUP",
	InvokeBrokerToResetOffset:        "INVOKE_BROKER_TO_RESET_OFFSET",
}

// RequestName returns the Java name of a request code, e.g. "SEND_MESSAGE",
// or "UNKNOWN(999)" for a code not in the table.
func RequestName(code int16) string {
	if n, ok := requestNames[code]; ok {
		return n
	}
	return unknownName(code)
}

func unknownName(code int16) string {
	return "UNKNOWN(" + strconv.Itoa(int(code)) + ")"
}

// Response codes (Command.Code of a response).
const (
	Success                   int16 = 0   // SUCCESS
	SystemError               int16 = 1   // SYSTEM_ERROR
	SystemBusy                int16 = 2   // SYSTEM_BUSY
	RequestCodeNotSupported   int16 = 3   // REQUEST_CODE_NOT_SUPPORTED
	FlushDiskTimeout          int16 = 10  // FLUSH_DISK_TIMEOUT
	SlaveNotAvailable         int16 = 11  // SLAVE_NOT_AVAILABLE
	FlushSlaveTimeout         int16 = 12  // FLUSH_SLAVE_TIMEOUT
	MessageIllegal            int16 = 13  // MESSAGE_ILLEGAL
	ServiceNotAvailable       int16 = 14  // SERVICE_NOT_AVAILABLE
	VersionNotSupported       int16 = 15  // VERSION_NOT_SUPPORTED
	NoPermission              int16 = 16  // NO_PERMISSION
	TopicNotExist             int16 = 17  // TOPIC_NOT_EXIST
	TopicExistAlready         int16 = 18  // TOPIC_EXIST_ALREADY
	PullNotFound              int16 = 19  // PULL_NOT_FOUND
	PullRetryImmediately      int16 = 20  // PULL_RETRY_IMMEDIATELY
	PullOffsetMoved           int16 = 21  // PULL_OFFSET_MOVED
	QueryNotFound             int16 = 22  // QUERY_NOT_FOUND
	SubscriptionParseFailed   int16 = 23  // SUBSCRIPTION_PARSE_FAILED
	SubscriptionNotExist      int16 = 24  // SUBSCRIPTION_NOT_EXIST
	SubscriptionNotLatest     int16 = 25  // SUBSCRIPTION_NOT_LATEST
	SubscriptionGroupNotExist int16 = 26  // SUBSCRIPTION_GROUP_NOT_EXIST
	FilterDataNotExist        int16 = 27  // FILTER_DATA_NOT_EXIST
	FilterDataNotLatest       int16 = 28  // FILTER_DATA_NOT_LATEST
	InvalidParameter          int16 = 29  // INVALID_PARAMETER
	ConsumerNotOnline         int16 = 206 // CONSUMER_NOT_ONLINE
	ConsumeMsgTimeout         int16 = 207 // CONSUME_MSG_TIMEOUT
	IllegalOperation          int16 = 604 // ILLEGAL_OPERATION
)

// Error is a non-success response code as an error, in the manner of
// franz-go's kerr. Retriable says whether the Go client retries (or simply
// re-issues) the request that got this code; see the wire doc §4.
type Error struct {
	Code        int16
	Name        string // Java name, e.g. "SYSTEM_BUSY"
	Retriable   bool
	Description string
	Remark      string // the response's remark, if any
}

// Error returns "remoting: NAME (code): remark", or the description when
// the remark is empty.
func (e *Error) Error() string {
	msg := e.Remark
	if msg == "" {
		msg = e.Description
	}
	return "remoting: " + e.Name + " (" + strconv.Itoa(int(e.Code)) + "): " + msg
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &Error{Code: SystemBusy}) works whatever the remark.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// responseTable lists every known response code. Retriable follows how the
// Go client treats the code: sends are retried on 1, 14, 16 and 17; pulls
// are re-issued on 19 and 20 (and, after 3 s, on the subscription codes
// that a later heartbeat can fix).
var responseTable = []Error{
	{Code: Success, Name: "SUCCESS", Description: "success"},
	{Code: SystemError, Name: "SYSTEM_ERROR", Retriable: true, Description: "broker-side system error; sync sends are retried"},
	{Code: SystemBusy, Name: "SYSTEM_BUSY", Description: "broker is busy (flow control); sends are not retried"},
	{Code: RequestCodeNotSupported, Name: "REQUEST_CODE_NOT_SUPPORTED", Description: "request code not supported"},
	{Code: FlushDiskTimeout, Name: "FLUSH_DISK_TIMEOUT", Description: "message stored but flushing to disk timed out; a send still succeeds"},
	{Code: SlaveNotAvailable, Name: "SLAVE_NOT_AVAILABLE", Description: "message stored but no slave is available; a send still succeeds"},
	{Code: FlushSlaveTimeout, Name: "FLUSH_SLAVE_TIMEOUT", Description: "message stored but replication timed out; a send still succeeds"},
	{Code: MessageIllegal, Name: "MESSAGE_ILLEGAL", Description: "message is illegal (size, topic or properties)"},
	{Code: ServiceNotAvailable, Name: "SERVICE_NOT_AVAILABLE", Retriable: true, Description: "service not available"},
	{Code: VersionNotSupported, Name: "VERSION_NOT_SUPPORTED", Description: "client version not supported"},
	{Code: NoPermission, Name: "NO_PERMISSION", Retriable: true, Description: "no permission for this operation"},
	{Code: TopicNotExist, Name: "TOPIC_NOT_EXIST", Retriable: true, Description: "topic does not exist"},
	{Code: TopicExistAlready, Name: "TOPIC_EXIST_ALREADY", Description: "topic already exists"},
	{Code: PullNotFound, Name: "PULL_NOT_FOUND", Retriable: true, Description: "no new message to pull"},
	{Code: PullRetryImmediately, Name: "PULL_RETRY_IMMEDIATELY", Retriable: true, Description: "no message matched the filter; pull again"},
	{Code: PullOffsetMoved, Name: "PULL_OFFSET_MOVED", Description: "pull offset is illegal and must be corrected"},
	{Code: QueryNotFound, Name: "QUERY_NOT_FOUND", Description: "nothing found (e.g. no stored consumer offset)"},
	{Code: SubscriptionParseFailed, Name: "SUBSCRIPTION_PARSE_FAILED", Description: "subscription expression cannot be parsed"},
	{Code: SubscriptionNotExist, Name: "SUBSCRIPTION_NOT_EXIST", Retriable: true, Description: "subscription does not exist (yet)"},
	{Code: SubscriptionNotLatest, Name: "SUBSCRIPTION_NOT_LATEST", Retriable: true, Description: "subscription is not the latest version"},
	{Code: SubscriptionGroupNotExist, Name: "SUBSCRIPTION_GROUP_NOT_EXIST", Retriable: true, Description: "subscription group does not exist (yet)"},
	{Code: FilterDataNotExist, Name: "FILTER_DATA_NOT_EXIST", Description: "filter data does not exist"},
	{Code: FilterDataNotLatest, Name: "FILTER_DATA_NOT_LATEST", Description: "filter data is not the latest version"},
	{Code: InvalidParameter, Name: "INVALID_PARAMETER", Description: "invalid request parameter"},
	{Code: ConsumerNotOnline, Name: "CONSUMER_NOT_ONLINE", Description: "the consumer group has no live member"},
	{Code: ConsumeMsgTimeout, Name: "CONSUME_MSG_TIMEOUT", Description: "the consumer did not answer the broker in time"},
	{Code: IllegalOperation, Name: "ILLEGAL_OPERATION", Description: "illegal operation (e.g. ending a transaction that is being checked)"},
}

var responseIndex = func() map[int16]*Error {
	m := make(map[int16]*Error, len(responseTable))
	for i := range responseTable {
		m[responseTable[i].Code] = &responseTable[i]
	}
	return m
}()

// ResponseName returns the Java name of a response code, e.g. "SYSTEM_BUSY",
// or "UNKNOWN(999)".
func ResponseName(code int16) string {
	if e, ok := responseIndex[code]; ok {
		return e.Name
	}
	return unknownName(code)
}

// ErrorForCode returns the error for a response code with the response's
// remark attached, or nil for Success. Unknown codes yield a non-retriable
// *Error named "UNKNOWN(code)".
func ErrorForCode(code int16, remark string) error {
	if code == Success {
		return nil
	}
	if e, ok := responseIndex[code]; ok {
		out := *e
		out.Remark = remark
		return &out
	}
	return &Error{Code: code, Name: unknownName(code), Description: "unknown response code", Remark: remark}
}

// IsRetriable reports whether err is, or wraps, a retriable *Error.
func IsRetriable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retriable
}
