package remoting

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// Serialize types, the top byte of the header-length word.
const (
	SerializeJSON     = 0 // JSON header; the official Go client always sends this
	SerializeRocketMQ = 1 // "ROCKETMQ" binary header; the kit's client sends this by default
)

// DefaultMaxFrame is Java's default frame limit
// (com.rocketmq.remoting.frameMaxLength): 16 MiB.
const DefaultMaxFrame = 16 << 20

// maxHeader is the largest header the 24-bit header length can describe.
const maxHeader = 1<<24 - 1

// ReadCommand reads one frame from r and decodes it. It accepts JSON
// (serialize type 0) and ROCKETMQ binary (type 1) headers.
//
// maxFrame bounds the frame's length field (the bytes that follow it);
// maxFrame <= 0 means DefaultMaxFrame. A larger frame yields an error
// wrapping ErrFrameTooLarge before anything beyond the length is read or
// allocated. A malformed frame yields an error wrapping ErrMalformed; in both
// cases the stream cannot be resynchronised and the connection should be
// closed. ReadCommand returns io.EOF only at a clean frame boundary and
// io.ErrUnexpectedEOF when the stream ends mid-frame; other read errors are
// returned as they are. After any error the position in the stream is
// unspecified. ReadCommand never panics.
//
// The returned Command owns its Body, one allocation per frame. A frame that
// fits in r's buffer is decoded in place (the header never leaves r's buffer,
// only the body is copied out); a larger one is read into a buffer of its
// size, which Body then aliases. So wrap connections in a bufio.Reader larger
// than typical frames (64 KiB, say): the client writes a request in four
// segments, and a large buffer also lets one read syscall span several.
func ReadCommand(r *bufio.Reader, maxFrame int) (*Command, error) {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	p, err := r.Peek(4)
	if err != nil {
		if err == io.EOF && len(p) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(p)
	if uint64(n) > uint64(maxFrame) || n < 4 {
		r.Discard(4) //nolint:errcheck // cannot fail: the bytes were peeked
		if n < 4 {
			return nil, fmt.Errorf("%w: length %d is shorter than the header-length word", ErrMalformed, n)
		}
		return nil, fmt.Errorf("%w: length %d exceeds limit %d", ErrFrameTooLarge, n, maxFrame)
	}
	if int(n) <= r.Size()-4 {
		p, err := r.Peek(4 + int(n))
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		c, err := decodeFrame(p[4:], true)
		if _, derr := r.Discard(len(p)); derr != nil && err == nil {
			err = derr // unreachable: the bytes were peeked
		}
		return c, err
	}
	if _, err := r.Discard(4); err != nil {
		return nil, err // unreachable: the bytes were peeked
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return decodeFrame(buf, false)
}

// DecodeFrame decodes one complete frame held in b, without its leading
// 4-byte length: the serialize-type byte, the 24-bit header length, the
// header and the body. The returned Command's Body aliases b (capacity
// clipped, so appending to it cannot overwrite what follows); its header
// strings do not. Errors wrap ErrMalformed. DecodeFrame never panics.
func DecodeFrame(b []byte) (*Command, error) {
	return decodeFrame(b, false)
}

// decodeFrame is DecodeFrame; copyBody makes Body a copy instead of an alias.
func decodeFrame(b []byte, copyBody bool) (*Command, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the header-length word", ErrMalformed, len(b))
	}
	typ := b[0]
	hlen := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if hlen > len(b)-4 {
		return nil, fmt.Errorf("%w: header length %d exceeds the %d bytes that follow", ErrMalformed, hlen, len(b)-4)
	}
	header := b[4 : 4+hlen]
	var (
		c   *Command
		err error
	)
	switch typ {
	case SerializeJSON:
		c, err = decodeJSONHeader(header)
	case SerializeRocketMQ:
		c, err = decodeBinaryHeader(header)
	default:
		return nil, fmt.Errorf("%w: unknown serialize type %d", ErrMalformed, typ)
	}
	if err != nil {
		return nil, err
	}
	c.SerializeType = typ
	if len(c.ExtFields) == 0 {
		c.ExtFields = nil
	}
	if body := b[4+hlen:]; len(body) > 0 {
		if copyBody {
			c.Body = bytes.Clone(body)
		} else {
			c.Body = body[:len(body):len(body)]
		}
	}
	return c, nil
}

// AppendFrame appends c as one complete frame to dst and returns the
// extended slice: the 4-byte length, the serialize type, the 24-bit header
// length, the header and the body, so a response goes out in a single
// Write.
//
// The header is written in c.SerializeType: SerializeRocketMQ writes the
// binary layout decodeBinaryHeader reads (language as Java's LanguageCode
// byte); anything else writes serialize type 0, compact JSON with the keys
// code, language, version, opaque, flag, remark and extFields (omitted when
// empty), every extFields value a JSON string. JSON strings are escaped per
// RFC 8259; bytes that are not valid UTF-8 are passed through unchanged, as
// the client's decoder does.
//
// AppendFrame panics if the header exceeds 16 MiB - 1, the most its 24-bit
// length can describe, or the frame exceeds 2 GiB - 1, or (binary) a
// field key exceeds 32767 bytes.
func AppendFrame(dst []byte, c *Command) []byte {
	start := len(dst)
	if c.SerializeType == SerializeRocketMQ {
		dst = append(dst, 0, 0, 0, 0, SerializeRocketMQ, 0, 0, 0)
		dst = appendBinaryHeader(dst, c)
	} else {
		dst = append(dst, 0, 0, 0, 0, SerializeJSON, 0, 0, 0)
		dst = appendJSONHeader(dst, c)
	}
	hlen := len(dst) - start - 8
	if hlen > maxHeader {
		panic(fmt.Sprintf("remoting: header of %d bytes exceeds the 24-bit header length", hlen))
	}
	dst = append(dst, c.Body...)
	n := len(dst) - start - 4
	if n > 1<<31-1 {
		panic(fmt.Sprintf("remoting: frame of %d bytes exceeds the 32-bit length", n))
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	dst[start+5] = byte(hlen >> 16)
	dst[start+6] = byte(hlen >> 8)
	dst[start+7] = byte(hlen)
	return dst
}
