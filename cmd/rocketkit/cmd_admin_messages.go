package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
)

func adminPrintMsg(ctx context.Context, e *adminEnv) error {
	q := admin.BrowseQuery{Topic: e.a.topic, Max: e.a.max}
	now := time.Now()
	var err error
	if e.a.begin != "" {
		if q.Begin, err = parseTime("b", e.a.begin, now); err != nil {
			return err
		}
	}
	if e.a.end != "" {
		if q.End, err = parseTime("e", e.a.end, now); err != nil {
			return err
		}
	}
	if e.a.max <= 0 {
		return fmt.Errorf("--max %d: want at least 1", e.a.max)
	}
	msgs, err := e.c.Browse(ctx, q)
	if errors.Is(err, admin.ErrTopicNotFound) {
		return fmt.Errorf("topic %s not found (rocketkit admin topicList lists the topics)", e.a.topic)
	}
	if err != nil {
		return err
	}
	views := viewsOf(msgs)
	return e.emit(views, func(w io.Writer) {
		fmt.Fprintln(w, "#QID\t#Offset\t#Store Time\t#Message ID\t#Tags\t#Keys\t#Body")
		for _, v := range views {
			fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", v.QueueID, v.QueueOffset, formatMillis(v.StoreTimestamp),
				v.MsgID, v.Tags, v.Keys, preview(v.body, min(e.a.bodyMax, 40)))
		}
		fmt.Fprintf(w, "%d messages\n", len(views))
	})
}

// msgView is a message as admin commands show it.
type msgView struct {
	MsgID           string            `json:"msgId"`
	OffsetMsgID     string            `json:"offsetMsgId"`
	Topic           string            `json:"topic"`
	Tags            string            `json:"tags,omitempty"`
	Keys            string            `json:"keys,omitempty"`
	QueueID         int32             `json:"queueId"`
	QueueOffset     int64             `json:"queueOffset"`
	CommitLogOffset int64             `json:"commitLogOffset"`
	ReconsumeTimes  int32             `json:"reconsumeTimes"`
	BornTimestamp   int64             `json:"bornTimestamp"`
	StoreTimestamp  int64             `json:"storeTimestamp"`
	BornHost        string            `json:"bornHost"`
	StoreHost       string            `json:"storeHost"`
	SysFlag         int32             `json:"sysFlag"`
	Properties      map[string]string `json:"properties"`
	BodySize        int               `json:"bodySize"`
	Body            *string           `json:"body,omitempty"`       // when UTF-8
	BodyBase64      []byte            `json:"bodyBase64,omitempty"` // otherwise

	body []byte
}

func viewsOf(msgs []message.Ext) []msgView {
	views := make([]msgView, 0, len(msgs))
	for _, m := range msgs {
		views = append(views, viewOf(m))
	}
	return views
}

func viewOf(m message.Ext) msgView {
	props := message.ParseProperties(m.Properties)
	body := m.Body
	if m.SysFlag&message.FlagCompressed != 0 {
		if r, err := zlib.NewReader(bytes.NewReader(body)); err == nil {
			if plain, err := io.ReadAll(r); err == nil {
				body = plain
			}
		}
	}
	v := msgView{
		MsgID: props[message.PropertyUniqKey], OffsetMsgID: message.OffsetMsgID(m.StoreHost, m.CommitLogOffset),
		Topic: m.Topic, Tags: props[message.PropertyTags], Keys: props[message.PropertyKeys],
		QueueID: m.QueueID, QueueOffset: m.QueueOffset, CommitLogOffset: m.CommitLogOffset,
		ReconsumeTimes: m.ReconsumeTimes, BornTimestamp: m.BornTimestamp, StoreTimestamp: m.StoreTimestamp,
		BornHost: m.BornHost.String(), StoreHost: m.StoreHost.String(), SysFlag: m.SysFlag,
		Properties: props, BodySize: len(body), body: body,
	}
	if v.MsgID == "" {
		v.MsgID = v.OffsetMsgID
	}
	if utf8.Valid(body) {
		s := string(body)
		v.Body = &s
	} else {
		v.BodyBase64 = body
	}
	return v
}

// preview returns at most n bytes of body for a terminal: text as a Go
// quoted string when it holds control characters, else as is; binary as
// hex.
func preview(body []byte, n int) string {
	if n <= 0 {
		return fmt.Sprintf("(%d bytes)", len(body))
	}
	cut := body
	more := ""
	if len(cut) > n {
		cut = cut[:n]
		for len(cut) > 0 && !utf8.Valid(cut) && utf8.Valid(body) {
			cut = cut[:len(cut)-1] // do not split a rune
		}
		more = fmt.Sprintf("... (%d bytes)", len(body))
	}
	if !utf8.Valid(cut) {
		return fmt.Sprintf("binary %X%s", cut, more)
	}
	s := string(cut)
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		s = strconv.Quote(s)
	}
	return s + more
}

func adminQueryMsgByKey(ctx context.Context, e *adminEnv) error {
	if err := e.requireTopic(ctx, e.a.topic); err != nil {
		return err
	}
	msgs, err := e.c.QueryByKey(ctx, admin.Query{Topic: e.a.topic, Key: e.a.key, Max: 64})
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return fmt.Errorf("no message of topic %s has key %s", e.a.topic, e.a.key)
	}
	views := viewsOf(msgs)
	return e.emit(views, func(w io.Writer) {
		fmt.Fprintln(w, "#Message ID\t#Offset Message ID\t#QID\t#Offset\t#Store Time\t#Body")
		for _, v := range views {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\n", v.MsgID, v.OffsetMsgID, v.QueueID, v.QueueOffset,
				formatMillis(v.StoreTimestamp), preview(v.body, min(e.a.bodyMax, 40)))
		}
	})
}

func adminQueryMsgByID(ctx context.Context, e *adminEnv) error {
	var views []msgView
	m, viewErr := e.c.ViewMessage(ctx, e.a.id)
	if viewErr == nil {
		views = append(views, viewOf(m))
	} else if e.a.topic != "" { // perhaps a client message id (UNIQ_KEY)
		if err := e.requireTopic(ctx, e.a.topic); err != nil {
			return err
		}
		msgs, err := e.c.QueryByKey(ctx, admin.Query{Topic: e.a.topic, Key: e.a.id})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if uniq, _ := message.GetProperty(m.Properties, message.PropertyUniqKey); uniq == e.a.id {
				views = append(views, viewOf(m))
			}
		}
		if len(views) == 0 {
			return fmt.Errorf("message %s not found, neither as an offset message id (%v) nor as a client message id of topic %s", e.a.id, viewErr, e.a.topic)
		}
	} else {
		var dial *admin.DialError
		if errors.As(viewErr, &dial) || errors.Is(viewErr, message.ErrMalformed) {
			return fmt.Errorf("%w\n(-i takes an offset message id, which names the broker; for a client message id give its topic too: -i ID -t TOPIC)", viewErr)
		}
		return viewErr
	}
	if e.a.output == "json" {
		if len(views) == 1 {
			return e.emit(views[0], nil)
		}
		return e.emit(views, nil)
	}
	return e.emit(views, func(w io.Writer) {
		for i, v := range views {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "Message ID:\t%s\n", v.MsgID)
			fmt.Fprintf(w, "Offset Message ID:\t%s\n", v.OffsetMsgID)
			fmt.Fprintf(w, "Topic:\t%s\n", v.Topic)
			fmt.Fprintf(w, "Tags:\t[%s]\n", v.Tags)
			fmt.Fprintf(w, "Keys:\t[%s]\n", v.Keys)
			fmt.Fprintf(w, "Queue ID:\t%d\n", v.QueueID)
			fmt.Fprintf(w, "Queue Offset:\t%d\n", v.QueueOffset)
			fmt.Fprintf(w, "CommitLog Offset:\t%d\n", v.CommitLogOffset)
			fmt.Fprintf(w, "Reconsume Times:\t%d\n", v.ReconsumeTimes)
			fmt.Fprintf(w, "Born Timestamp:\t%s\n", formatMillis(v.BornTimestamp))
			fmt.Fprintf(w, "Store Timestamp:\t%s\n", formatMillis(v.StoreTimestamp))
			fmt.Fprintf(w, "Born Host:\t%s\n", v.BornHost)
			fmt.Fprintf(w, "Store Host:\t%s\n", v.StoreHost)
			fmt.Fprintf(w, "System Flag:\t%d\n", v.SysFlag)
			fmt.Fprintf(w, "Properties:\t")
			for j, k := range slices.Sorted(maps.Keys(v.Properties)) {
				if j > 0 {
					fmt.Fprint(w, "\n\t")
				}
				fmt.Fprintf(w, "%s=%s", k, preview([]byte(v.Properties[k]), 120))
			}
			fmt.Fprintln(w)
			fmt.Fprintf(w, "Body Size:\t%d\n", v.BodySize)
			fmt.Fprintf(w, "Body:\t%s\n", preview(v.body, e.a.bodyMax))
		}
	})
}
