// Package remoting implements the RocketMQ "remoting" frame codec and the
// request and response code tables, as spoken by the Java broker and by
// github.com/apache/rocketmq-client-go/v2.
//
// It has no dependencies outside the standard library and is written for the
// broker's hot path: decoding a send request costs three allocations (the
// frame buffer, one string for the header, and the Command with its fields),
// and a response is encoded by appending to a caller-owned buffer.
//
// # Framing
//
// Every command is one frame; all integers are big-endian:
//
//	length        uint32   bytes that follow: 4 + headerLength + bodyLength
//	serializeType byte     0 = JSON header, 1 = ROCKETMQ binary header
//	headerLength  uint24
//	header        headerLength bytes
//	body          the rest, opaque, possibly empty
//
// ReadCommand reads one frame from a bufio.Reader, rejecting frames over a
// limit (Java's default, DefaultMaxFrame, is 16 MiB) before allocating them,
// and returns io.EOF only between frames. DecodeFrame decodes a frame already
// in memory. AppendFrame encodes a frame into one buffer so it can be written
// with a single Write, with the header in the command's SerializeType (JSON
// unless set; a decoded command keeps the type it came in and NewResponse
// copies the request's, so answers go back in the request's format as
// Java's do). The official Go client sends each request in four writes
// (length, header length, header, body).
//
// Requests and responses are matched by Opaque; Flag bit 0 (FlagResponse)
// marks a response and bit 1 (FlagOneway) a request that gets none.
//
// # Headers
//
// The JSON header is a compact object:
//
//	{"code":10,"language":"GO","version":317,"opaque":5,"flag":0,"remark":"","extFields":{"topic":"T",...}}
//
// The decoder is hand-written: keys may come in any order, unknown keys are
// skipped, escapes (including \u surrogate pairs) are decoded, and strings
// without escapes are sliced from a single string made of the header bytes.
// The client decodes extFields into a map[string]string, so a number there
// makes the whole frame undecodable to it: the encoder only ever writes
// strings there. The decoder is as lenient as the Java broker's fastjson,
// since other clients (JavaScript, C++) write numbers and booleans: such a
// value is kept as its JSON text ("queueId":1 reads as "1"), and null drops
// the key.
//
// extFields are kept as Fields, an ordered slice of key/value pairs, with
// typed getters (Int64, Int32, Bool) whose errors name the key.
//
// The binary header (serialize type 1, Java's "ROCKETMQ" serialize type) is
// code int16, language byte (Java's LanguageCode), version int16, opaque
// int32, flag int32, remark (int32 length + bytes) and extFields (int32
// length + a sequence of int16 key length, key, int32 value length, value),
// big-endian. The official Go client never sends it but decodes it; Java
// clients send it when configured with rocketmq.serialize.type=ROCKETMQ,
// and the kit's client sends it by default: it costs a fraction of the
// JSON header to encode and decode.
//
// Response codes map to *Error values with a Retriable flag through
// ErrorForCode; IsRetriable reports it for any wrapped error.
package remoting
