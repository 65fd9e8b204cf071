package remoting

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRequestName(t *testing.T) {
	tests := []struct {
		code int16
		want string
	}{
		{SendMessage, "SEND_MESSAGE"},
		{PullMessage, "PULL_MESSAGE"},
		{HeartBeat, "HEART_BEAT"},
		{GetRouteInfoByTopic, "GET_ROUTEINFO_BY_TOPIC"},
		{DeleteTopicInNameServer, "DELETE_TOPIC_IN_NAMESRV"},
		{RegisterBroker, "REGISTER_BROKER"},
		{SendBatchMessage, "SEND_BATCH_MESSAGE"},
		{PushReplyMessageToClient, "PUSH_REPLY_MESSAGE_TO_CLIENT"},
		{999, "UNKNOWN(999)"},
		{-1, "UNKNOWN(-1)"},
	}
	for _, tt := range tests {
		if got := RequestName(tt.code); got != tt.want {
			t.Errorf("RequestName(%d) = %q, want %q", tt.code, got, tt.want)
		}
	}
	seen := map[string]int16{}
	for code, name := range requestNames {
		if other, dup := seen[name]; dup {
			t.Errorf("name %s used by %d and %d", name, code, other)
		}
		seen[name] = code
	}
}

func TestResponseTable(t *testing.T) {
	// Retriable per the wire doc §4: sends retry on 1, 14, 16, 17; pulls
	// re-issue on 19, 20; 10-12 count as send success.
	retriable := map[int16]bool{
		SystemError: true, ServiceNotAvailable: true, NoPermission: true, TopicNotExist: true,
		PullNotFound: true, PullRetryImmediately: true,
		SubscriptionNotExist: true, SubscriptionNotLatest: true, SubscriptionGroupNotExist: true,
	}
	seen := map[int16]bool{}
	for _, e := range responseTable {
		if seen[e.Code] {
			t.Errorf("code %d listed twice", e.Code)
		}
		seen[e.Code] = true
		if e.Retriable != retriable[e.Code] {
			t.Errorf("%s: Retriable = %v", e.Name, e.Retriable)
		}
		if e.Name == "" || e.Description == "" || strings.ToUpper(e.Name) != e.Name {
			t.Errorf("code %d: bad name/description %q/%q", e.Code, e.Name, e.Description)
		}
		if got := ResponseName(e.Code); got != e.Name {
			t.Errorf("ResponseName(%d) = %q", e.Code, got)
		}
	}
	for _, code := range []int16{Success, SystemError, SystemBusy, RequestCodeNotSupported, FlushDiskTimeout,
		SlaveNotAvailable, FlushSlaveTimeout, MessageIllegal, ServiceNotAvailable, NoPermission, TopicNotExist,
		PullNotFound, PullRetryImmediately, PullOffsetMoved, QueryNotFound, SubscriptionParseFailed,
		SubscriptionNotExist, SubscriptionNotLatest, SubscriptionGroupNotExist, InvalidParameter, IllegalOperation} {
		if !seen[code] {
			t.Errorf("code %d missing from the table", code)
		}
	}
}

func TestErrorForCode(t *testing.T) {
	if err := ErrorForCode(Success, "ignored"); err != nil {
		t.Fatalf("ErrorForCode(Success) = %v", err)
	}
	err := ErrorForCode(SystemBusy, "[TIMEOUT_CLEAN_QUEUE]broker busy")
	var e *Error
	if !errors.As(err, &e) || e.Code != SystemBusy || e.Name != "SYSTEM_BUSY" || e.Retriable {
		t.Fatalf("ErrorForCode(SystemBusy) = %#v", err)
	}
	if want := "remoting: SYSTEM_BUSY (2): [TIMEOUT_CLEAN_QUEUE]broker busy"; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	if got := ErrorForCode(TopicNotExist, "").Error(); got != "remoting: TOPIC_NOT_EXIST (17): topic does not exist" {
		t.Fatalf("Error() without remark = %q", got)
	}
	// The table entry is not modified by the remark.
	if responseIndex[SystemBusy].Remark != "" {
		t.Fatal("ErrorForCode mutated the table")
	}

	wrapped := fmt.Errorf("send: %w", ErrorForCode(ServiceNotAvailable, ""))
	if !IsRetriable(wrapped) {
		t.Fatal("IsRetriable(wrapped SERVICE_NOT_AVAILABLE) = false")
	}
	if IsRetriable(err) || IsRetriable(errors.New("x")) || IsRetriable(nil) {
		t.Fatal("IsRetriable true for a non-retriable error")
	}
	if !errors.Is(wrapped, &Error{Code: ServiceNotAvailable}) || errors.Is(wrapped, &Error{Code: SystemBusy}) {
		t.Fatal("errors.Is does not compare codes")
	}

	unknown := ErrorForCode(999, "huh")
	if !errors.As(unknown, &e) || e.Name != "UNKNOWN(999)" || e.Retriable || e.Remark != "huh" {
		t.Fatalf("unknown code: %#v", unknown)
	}
}
