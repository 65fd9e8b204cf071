package remoting

import "strconv"

// appendJSONHeader appends c's header as compact JSON, keys in the order the
// client writes them.
func appendJSONHeader(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(c.Code), 10)
	dst = append(dst, `,"language":`...)
	dst = appendJSONString(dst, c.Language)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	dst = append(dst, `,"opaque":`...)
	dst = strconv.AppendInt(dst, int64(c.Opaque), 10)
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(c.Flag), 10)
	dst = append(dst, `,"remark":`...)
	dst = appendJSONString(dst, c.Remark)
	if len(c.ExtFields) > 0 {
		dst = append(dst, `,"extFields":{`...)
		for i, f := range c.ExtFields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.Key)
			dst = append(dst, ':')
			dst = appendJSONString(dst, f.Value)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// jsonEscape[c] is the character after the backslash that escapes byte c,
// 'u' for \u00XX, or 0 if c is written as is. Only '"', '\\' and control
// characters need escaping; everything else, including bytes that are not
// valid UTF-8, is copied through.
var jsonEscape = func() (t [256]byte) {
	for c := range 0x20 {
		t[c] = 'u'
	}
	t['\b'], t['\f'], t['\n'], t['\r'], t['\t'] = 'b', 'f', 'n', 'r', 't'
	t['"'], t['\\'] = '"', '\\'
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal. Unlike
// strconv.AppendQuote it emits only escapes JSON defines.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		e := jsonEscape[s[i]]
		if e == 0 {
			continue
		}
		dst = append(dst, s[last:i]...)
		if e == 'u' {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[s[i]>>4], hexDigits[s[i]&0xF])
		} else {
			dst = append(dst, '\\', e)
		}
		last = i + 1
	}
	dst = append(dst, s[last:]...)
	return append(dst, '"')
}
