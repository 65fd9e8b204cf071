package payload

import (
	"bytes"
	"encoding/json"
)

// NormalizeFastJSON rewrites fastjson's non-standard map keys into JSON
// strings: bare integers ({0:"a"}) and objects ({{"topic":"t"}:1}); an
// object key becomes the string holding its compact JSON. Standard JSON
// passes through unchanged.
func NormalizeFastJSON(in []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(in) + 16)
	inString, escaped := false, false
	expectKey := false // just after '{' or ',' inside an object
	var stack []byte   // '{' or '['
	for i := 0; i < len(in); i++ {
		ch := in[i]
		if inString {
			out.WriteByte(ch)
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		inObject := len(stack) > 0 && stack[len(stack)-1] == '{'
		if expectKey && inObject && ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r' && ch != '}' {
			expectKey = false
			switch {
			case ch == '{':
				end := matchObject(in, i)
				if end < 0 {
					out.Write(in[i:])
					return out.Bytes()
				}
				key := NormalizeFastJSON(in[i : end+1])
				var compact bytes.Buffer
				if json.Compact(&compact, key) == nil {
					key = compact.Bytes()
				}
				quoted, _ := json.Marshal(string(key))
				out.Write(quoted)
				i = end
				continue
			case ch == '-' || (ch >= '0' && ch <= '9'):
				j := i + 1
				for j < len(in) && in[j] >= '0' && in[j] <= '9' {
					j++
				}
				out.WriteByte('"')
				out.Write(in[i:j])
				out.WriteByte('"')
				i = j - 1
				continue
			}
		}
		switch ch {
		case '"':
			inString = true
			expectKey = false
		case '{', '[':
			stack = append(stack, ch)
			expectKey = ch == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = inObject
		}
		out.WriteByte(ch)
	}
	return out.Bytes()
}

// matchObject returns the index of the '}' closing the object at in[start],
// or -1.
func matchObject(in []byte, start int) int {
	depth, inString, escaped := 0, false, false
	for i := start; i < len(in); i++ {
		ch := in[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		switch ch {
		case '"':
			inString = true
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
