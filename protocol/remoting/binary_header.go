package remoting

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// binaryFixed is the size of the fixed part of a binary header: code (2),
// language (1), version (2), opaque (4), flag (4), remark length (4) and
// extFields length (4).
const binaryFixed = 21

// decodeBinaryHeader decodes a ROCKETMQ (serialize type 1) header:
//
//	code int16 | language byte | version int16 | opaque int32 | flag int32 |
//	remarkLen int32 | remark | extLen int32 | ext
//
// where ext is a sequence of (keyLen int16, key, valueLen int32, value), all
// big-endian. Negative lengths, lengths beyond the header and bytes after the
// ext block are malformed. Like the JSON decoder it converts the header to one
// string and slices remark, keys and values out of it.
func decodeBinaryHeader(b []byte) (*Command, error) {
	if len(b) < binaryFixed {
		return nil, fmt.Errorf("%w: binary header of %d bytes is shorter than %d", ErrMalformed, len(b), binaryFixed)
	}
	rlen := int64(int32(binary.BigEndian.Uint32(b[13:])))
	if rlen < 0 || rlen > int64(len(b)-binaryFixed) {
		return nil, fmt.Errorf("%w: binary header: remark length %d", ErrMalformed, rlen)
	}
	extAt := 17 + int(rlen) + 4
	elen := int64(int32(binary.BigEndian.Uint32(b[extAt-4:])))
	if elen != int64(len(b)-extAt) {
		return nil, fmt.Errorf("%w: binary header: extFields length %d, %d bytes left", ErrMalformed, elen, len(b)-extAt)
	}
	n, err := countBinaryFields(b[extAt:])
	if err != nil {
		return nil, err
	}

	c := newCommand(n)
	c.Code = int16(binary.BigEndian.Uint16(b[0:]))
	c.Language = languageName(int64(b[2]))
	c.Version = int16(binary.BigEndian.Uint16(b[3:]))
	c.Opaque = int32(binary.BigEndian.Uint32(b[5:]))
	c.Flag = int32(binary.BigEndian.Uint32(b[9:]))
	if rlen == 0 && n == 0 {
		return c, nil
	}
	s := string(b[17:]) // one string; remark, keys and values are sliced from it
	c.Remark = s[:rlen]
	for p := extAt - 17; p < len(s); {
		kl := int(binary.BigEndian.Uint16(b[17+p:]))
		key := s[p+2 : p+2+kl]
		p += 2 + kl
		vl := int(binary.BigEndian.Uint32(b[17+p:]))
		value := s[p+4 : p+4+vl]
		p += 4 + vl
		c.ExtFields = append(c.ExtFields, Field{Key: key, Value: value})
	}
	return c, nil
}

// countBinaryFields validates a binary extFields block and counts its
// entries.
func countBinaryFields(ext []byte) (int, error) {
	n := 0
	for p := 0; p < len(ext); n++ {
		if len(ext)-p < 2 {
			return 0, fmt.Errorf("%w: binary header: truncated extFields key length", ErrMalformed)
		}
		kl := int(int16(binary.BigEndian.Uint16(ext[p:])))
		p += 2
		if kl < 0 || kl > len(ext)-p {
			return 0, fmt.Errorf("%w: binary header: extFields key length %d", ErrMalformed, kl)
		}
		p += kl
		if len(ext)-p < 4 {
			return 0, fmt.Errorf("%w: binary header: truncated extFields value length", ErrMalformed)
		}
		vl := int64(int32(binary.BigEndian.Uint32(ext[p:])))
		p += 4
		if vl < 0 || vl > int64(len(ext)-p) {
			return 0, fmt.Errorf("%w: binary header: extFields value length %d", ErrMalformed, vl)
		}
		p += int(vl)
	}
	return n, nil
}

// appendBinaryHeader appends c's header in the layout decodeBinaryHeader
// reads. It panics if a key is longer than its int16 length allows.
func appendBinaryHeader(dst []byte, c *Command) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Code))
	dst = append(dst, languageCode(c.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Version))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Remark)))
	dst = append(dst, c.Remark...)
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0) // the ext length, set below
	for _, f := range c.ExtFields {
		if len(f.Key) > 1<<15-1 {
			panic(fmt.Sprintf("remoting: extFields key of %d bytes exceeds the binary header's int16 length", len(f.Key)))
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(f.Key)))
		dst = append(dst, f.Key...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(f.Value)))
		dst = append(dst, f.Value...)
	}
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

// languageCode is languageName's inverse: the LanguageCode byte of a name,
// or of a decimal one (as languageName makes of an unknown byte). Any other
// name, which the binary header cannot carry, is written as OTHER.
func languageCode(name string) byte {
	switch name { // the common ones without the search
	case "JAVA":
		return 0
	case "GO":
		return 9
	}
	for i, n := range languageCodes {
		if n == name {
			return byte(i)
		}
	}
	if v, err := strconv.ParseUint(name, 10, 8); err == nil && strconv.FormatUint(v, 10) == name {
		return byte(v)
	}
	return 7 // OTHER
}

// languageCodes are Java's LanguageCode values, as the binary header's
// language byte.
var languageCodes = [...]string{
	0: "JAVA", 1: "CPP", 2: "DOTNET", 3: "PYTHON", 4: "DELPHI", 5: "ERLANG",
	6: "RUBY", 7: "OTHER", 8: "HTTP", 9: "GO", 10: "PHP", 11: "OMS", 12: "RUST",
	13: "NODE_JS",
}

// languageName maps a numeric language code to its name, or to its decimal
// form when unknown.
func languageName(v int64) string {
	if v >= 0 && v < int64(len(languageCodes)) {
		return languageCodes[v]
	}
	return strconv.FormatInt(v, 10)
}
