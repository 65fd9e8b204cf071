package remoting

import (
	"fmt"
	"strconv"
)

// Flag bits of Command.Flag.
const (
	// FlagResponse marks a response (bit 0).
	FlagResponse = 1
	// FlagOneway marks a request that expects no response (bit 1). The Go
	// client never sets it; the broker sets it on the server requests the
	// client never answers (39, 40, 220).
	FlagOneway = 2
)

// Header defaults written by NewRequest and NewResponse.
const (
	// Language is what a Java broker writes in "language"; the client accepts
	// any value.
	Language = "JAVA"
	// Version is the "version" the broker advertises: 317 is Java's
	// MQVersion V4_5_2 ordinal, the value the client itself sends. The client
	// only compares it against V4_1_0 (0).
	Version int16 = 317
)

// Command is one remoting request or response.
//
// A Command returned by ReadCommand owns Body: it is a buffer of its own,
// which nothing else refers to, so handlers may keep or modify it. One
// returned by DecodeFrame has Body alias the caller's slice. Header strings
// (Language, Remark, field keys and values) never alias either; they share one
// string per command.
type Command struct {
	Code      int16  // request code (requests) or response code (responses)
	Language  string // sender's language, e.g. "GO" or "JAVA"
	Version   int16  // sender's version ordinal
	Opaque    int32  // request id, echoed by the response
	Flag      int32  // FlagResponse | FlagOneway
	Remark    string // free text, shown by the client in errors
	ExtFields Fields // custom header; every value is a string on the wire
	Body      []byte // opaque payload, nil when empty

	// SerializeType is the header format the command was read in, and the
	// one AppendFrame writes it in: SerializeJSON (the zero value) or
	// SerializeRocketMQ. NewResponse copies the request's, so a response
	// goes back in its request's format, as Java's remoting server answers
	// (serializeTypeCurrentRPC).
	SerializeType byte
}

// IsResponse reports whether the FlagResponse bit is set.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether the FlagOneway bit is set.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// NewRequest returns a server-initiated request. Opaque is left zero: the
// caller allocates request ids per connection and sets it; set FlagOneway in
// Flag for requests the client does not answer.
func NewRequest(code int16, fields Fields, body []byte) *Command {
	return &Command{
		Code:      code,
		Language:  Language,
		Version:   Version,
		ExtFields: fields,
		Body:      body,
	}
}

// ClientLanguage is the "language" the kit's client writes in its
// requests: "GO", as the official Go client does (Java brokers accept it).
const ClientLanguage = "GO"

// NewClientRequest returns a request as the kit's client sends it:
// language GO, version 317 (the version the official Go client reports).
// Opaque is left zero: the connection that sends it allocates one.
func NewClientRequest(code int16, fields Fields, body []byte) *Command {
	return &Command{Code: code, Language: ClientLanguage, Version: Version, ExtFields: fields, Body: body}
}

// NewResponse returns a response to req with the given response code and
// remark. It echoes req's opaque and serialize type and sets Flag to
// FlagResponse.
func NewResponse(req *Command, code int16, remark string) *Command {
	return &Command{
		Code:          code,
		Language:      Language,
		Version:       Version,
		Opaque:        req.Opaque,
		Flag:          FlagResponse,
		Remark:        remark,
		SerializeType: req.SerializeType,
	}
}

// String formats c for logs: direction, code name, opaque, flag, remark,
// fields and body length.
func (c *Command) String() string {
	name := RequestName(c.Code)
	if c.IsResponse() {
		name = ResponseName(c.Code)
	}
	return fmt.Sprintf("%s opaque=%d flag=%d remark=%q ext=%v body=%s",
		name, c.Opaque, c.Flag, c.Remark, c.ExtFields, strconv.Itoa(len(c.Body))+"B")
}

// inlineFields is the most extFields a decoded Command holds in the same
// allocation as itself; a send request has 14.
const inlineFields = 16

// Commands co-allocated with room for their fields, so that decoding a
// header costs one allocation for both. Three sizes keep small commands small.
type (
	command4 struct {
		cmd    Command
		fields [4]Field
	}
	command8 struct {
		cmd    Command
		fields [8]Field
	}
	command16 struct {
		cmd    Command
		fields [inlineFields]Field
	}
)

// newCommand returns a zero Command whose ExtFields has room for n fields.
func newCommand(n int) *Command {
	switch {
	case n == 0:
		return new(Command)
	case n <= 4:
		a := new(command4)
		a.cmd.ExtFields = a.fields[:0:4]
		return &a.cmd
	case n <= 8:
		a := new(command8)
		a.cmd.ExtFields = a.fields[:0:8]
		return &a.cmd
	case n <= inlineFields:
		a := new(command16)
		a.cmd.ExtFields = a.fields[:0:inlineFields]
		return &a.cmd
	default:
		return &Command{ExtFields: make(Fields, 0, n)}
	}
}
